/**
 * The request core: builds URLs, authenticates, retries what is safe to retry, turns error
 * bodies into {@link AiSessionsError} and validates every answer against its zod schema, so a
 * server that drifts from the wire contract is caught at the boundary instead of deep in a caller.
 */
import type { z } from "zod";
import { ErrorBody } from "../schemas/common.ts";
import { AiSessionsError } from "./errors.ts";
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, sleep, type RetryOptions } from "./retry.ts";

/** A bearer token, or a function returning a fresh one (called before every request). */
export type TokenSource = string | (() => string | Promise<string>);

/** Options shared by the REST client and the WebSocket client. */
export interface ConnectionOptions {
  /** Platform origin, e.g. `http://127.0.0.1:8787` (a trailing slash is ignored). */
  baseUrl: string;
  /** The user's JWT. */
  token: TokenSource;
}

/** Options of {@link Transport}. */
export interface TransportOptions extends ConnectionOptions {
  retry?: Partial<RetryOptions>;
  /** A `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** Query values; `undefined` ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** One REST call. */
export interface RequestSpec<S extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  /** The schema the answer must satisfy. */
  response: S;
  /** Whether repeating the call cannot do harm; only such calls are retried. */
  idempotent: boolean;
  signal?: AbortSignal;
}

/** Percent-encodes one path segment (ids are URL-safe already; this guards against misuse). */
export const segment = (value: string): string => encodeURIComponent(value);

/** Sends requests to one platform on behalf of one user. */
export class Transport {
  readonly baseUrl: string;
  readonly retry: Required<RetryOptions>;
  readonly fetch: typeof fetch;
  readonly #token: TokenSource;

  constructor(options: TransportOptions) {
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

  /** Performs `spec`, retrying per the retry policy, and returns the validated answer. */
  async request<S extends z.ZodType>(spec: RequestSpec<S>): Promise<z.infer<S>> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(spec);
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

  /** One attempt: the validated answer, or the failure and whether the policy allows another try. */
  private async attempt<S extends z.ZodType>(spec: RequestSpec<S>): Promise<{ value: z.infer<S> } | { error: AiSessionsError; retryable: boolean }> {
    let response: Response;
    try {
      response = await this.send(spec);
    } catch (cause) {
      const error = networkError(spec, cause);
      return { error, retryable: spec.idempotent && error.code === "network_error" };
    }
    // A drifted answer is thrown, not retried: asking again would not change the server's code.
    if (response.ok) return { value: await parse(spec, response) };
    const error = await errorFrom(response);
    return { error, retryable: spec.idempotent && (error.status === 429 || error.status >= 500) };
  }

  /** Sends the request once. */
  private async send(spec: RequestSpec<z.ZodType>): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token()}`, accept: "application/json" };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    return this.fetch(this.url(spec.path, spec.query), {
      method: spec.method,
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      signal: spec.signal,
    });
  }
}

/** Reads and validates a successful answer. */
async function parse<S extends z.ZodType>(spec: RequestSpec<S>, response: Response): Promise<z.infer<S>> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new AiSessionsError(response.status, "invalid_response", `${spec.method} ${spec.path}: the answer is not JSON`, { body: text.slice(0, 500) });
  }
  const result = spec.response.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AiSessionsError(response.status, "invalid_response", `${spec.method} ${spec.path}: the answer does not match the API schema (${issues})`, { body: json });
  }
  return result.data;
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
  const body = ErrorBody.safeParse(json);
  if (body.success) return new AiSessionsError(response.status, body.data.error, body.data.message, { retryAfter, body: json });
  const snippet = text.trim().slice(0, 200);
  return new AiSessionsError(response.status, `http_${response.status}`, `HTTP ${response.status}${snippet ? `: ${snippet}` : ""}`, { retryAfter, body: json });
}

/** Describes a request that got no answer. */
function networkError(spec: RequestSpec<z.ZodType>, error: unknown): AiSessionsError {
  const aborted = spec.signal?.aborted || (error instanceof Error && error.name === "AbortError");
  const detail = error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error);
  return new AiSessionsError(0, aborted ? "aborted" : "network_error", `${spec.method} ${spec.path}: ${aborted ? "aborted" : detail}`, { cause: error });
}
