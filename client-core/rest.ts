/**
 * The REST transport both clients use: builds URLs, sends the bearer token, turns error answers
 * (`{"error","message"}`, or anything else a proxy sends) into {@link AiSessionsError}, and retries
 * only calls that are safe to repeat, waiting what `Retry-After` asks.
 *
 * It does not validate answers: the caller passes `parse` (the SDK checks each answer with the
 * wire schemas; the web UI trusts its own server and keeps zod out of its bundle).
 */
import { AiSessionsError } from "./errors.ts";
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, sleep, type RetryOptions } from "./retry.ts";

/** A bearer token, or a function returning a fresh one (called before every request). */
export type TokenSource = string | (() => string | Promise<string>);

/** Options shared by the REST transport and the session socket. */
export interface ConnectionOptions {
  /** Platform origin, e.g. `http://127.0.0.1:8787` (a trailing slash is ignored). */
  baseUrl: string;
  /** The user's JWT. */
  token: TokenSource;
}

/** Options of {@link RestTransport}. */
export interface RestOptions extends ConnectionOptions {
  retry?: Partial<RetryOptions>;
  /** A `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** Query values; `undefined` ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** One REST call. */
export interface RestRequest<T> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  /** Sends a string `body` as is with this content type (YAML rules, NDJSON events) instead of as JSON. */
  contentType?: string;
  /** Headers besides the token's (the org routes' `X-LC-OID`). */
  headers?: Record<string, string>;
  /** Whether repeating the call cannot do harm; only such calls are retried. */
  idempotent: boolean;
  signal?: AbortSignal | undefined;
  /** Turns the JSON of a 2xx answer into the result; throws (an `invalid_response`) when it does not fit. Default: as is. */
  parse?: (json: unknown, answer: { status: number; method: string; path: string }) => T;
}

/** Percent-encodes one path segment (ids are URL-safe already; this guards against misuse). */
export const segment = (value: string): string => encodeURIComponent(value);

/** Sends requests to one platform on behalf of one user. */
export class RestTransport {
  readonly baseUrl: string;
  readonly retry: Required<RetryOptions>;
  readonly fetch: typeof fetch;
  readonly #token: TokenSource;

  constructor(options: RestOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    // Bound so that a global fetch is not called with a foreign `this` (browsers reject that).
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#token = options.token;
  }

  /** The current token. */
  async token(): Promise<string> {
    return typeof this.#token === "function" ? this.#token() : this.#token;
  }

  /** The absolute URL of `path` with `query`. */
  url(path: string, query: Query = {}): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  /** Performs `spec`, retrying per the retry policy, and returns the parsed answer. */
  async request<T = unknown>(spec: RestRequest<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(spec);
      if ("value" in outcome) return outcome.value;
      const { error, retryable } = outcome;
      if (!retryable || attempt >= this.retry.retries) throw error;
      const delay = error.retryAfter !== null ? error.retryAfter * 1000 : backoffDelay(attempt, this.retry);
      // A server asking for a longer pause than the caller allows gets its error surfaced instead.
      if (delay > this.retry.maxDelayMs) throw error;
      await sleep(delay, spec.signal).catch((reason: unknown) => {
        throw new AiSessionsError(0, "aborted", `${spec.method} ${spec.path}: aborted`, { cause: reason });
      });
    }
  }

  /** One attempt: the answer, or the failure and whether the policy allows another try. */
  async #attempt<T>(spec: RestRequest<T>): Promise<{ value: T } | { error: AiSessionsError; retryable: boolean }> {
    let response: Response;
    try {
      response = await this.#send(spec);
    } catch (cause) {
      const error = networkError(spec, cause);
      return { error, retryable: spec.idempotent && error.code === "network_error" };
    }
    // A drifted answer is thrown, not retried: asking again would not change the server's code.
    if (response.ok) return { value: await readAnswer(spec, response) };
    const error = await errorFrom(response);
    return { error, retryable: spec.idempotent && (error.status === 429 || error.status >= 500) };
  }

  /** Sends the request once. */
  async #send(spec: RestRequest<unknown>): Promise<Response> {
    const headers: Record<string, string> = { ...spec.headers, authorization: `Bearer ${await this.token()}`, accept: "application/json" };
    const raw = spec.contentType !== undefined && typeof spec.body === "string";
    if (spec.body !== undefined) headers["content-type"] = raw ? (spec.contentType as string) : "application/json";
    return this.fetch(this.url(spec.path, spec.query), {
      method: spec.method,
      headers,
      body: spec.body === undefined ? null : raw ? (spec.body as string) : JSON.stringify(spec.body),
      signal: spec.signal ?? null,
    });
  }
}

/** Reads a successful answer as JSON and hands it to the caller's parser. */
async function readAnswer<T>(spec: RestRequest<T>, response: Response): Promise<T> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new AiSessionsError(response.status, "invalid_response", `${spec.method} ${spec.path}: the answer is not JSON`, {
      body: text.slice(0, 500),
    });
  }
  return spec.parse ? spec.parse(json, { status: response.status, method: spec.method, path: spec.path }) : (json as T);
}

/** True for the platform's error body, `{"error": "<code>", "message": "<text>"}` (schemas/common.ts `ErrorBody`). */
function isErrorBody(value: unknown): value is { error: string; message: string } {
  const body = value as { error?: unknown; message?: unknown } | null;
  return typeof body === "object" && body !== null && typeof body.error === "string" && typeof body.message === "string";
}

/** Turns a non-2xx answer into an error, keeping the server's code and message when it sent the standard body. */
export async function errorFrom(response: Response): Promise<AiSessionsError> {
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
  const text = await response.text().catch(() => "");
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: a proxy or platform page; described by status below
  }
  if (isErrorBody(json)) return new AiSessionsError(response.status, json.error, json.message, { retryAfter, body: json });
  const snippet = text.trim().slice(0, 200);
  return new AiSessionsError(response.status, `http_${response.status}`, `HTTP ${response.status}${snippet ? `: ${snippet}` : ""}`, {
    retryAfter,
    body: json,
  });
}

/** Describes a request that got no answer. */
function networkError(spec: RestRequest<unknown>, error: unknown): AiSessionsError {
  const aborted = spec.signal?.aborted || (error instanceof Error && error.name === "AbortError");
  const detail =
    error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error);
  return new AiSessionsError(0, aborted ? "aborted" : "network_error", `${spec.method} ${spec.path}: ${aborted ? "aborted" : detail}`, {
    cause: error,
  });
}
