/**
 * The one error type of the clients (SDK, CLI, web UI): the server's `{error, message}` plus what a
 * caller needs to react (status, Retry-After).
 */

/** Machine codes the clients themselves produce (the server's codes pass through unchanged). */
export type ClientErrorCode = "network_error" | "invalid_response" | "invalid_message" | "not_connected" | "aborted";

/** An API failure: the HTTP status (0 when no response arrived), the server's machine code and message. */
export class AiSessionsError extends Error {
  override readonly name = "AiSessionsError";
  /** HTTP status, or 0 when the request never got an answer (network error, abort, client-side check). */
  readonly status: number;
  /** The server's machine code (`not_registered`, `rate_limited`, ...) or one of {@link ClientErrorCode}. */
  readonly code: string;
  /** Seconds the server asked to wait (`Retry-After`), or null. */
  readonly retryAfter: number | null;
  /** The parsed error body or unexpected payload, for diagnostics. */
  readonly body: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { retryAfter?: number | null; body?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.retryAfter = options.retryAfter ?? null;
    this.body = options.body;
  }
}

/** True when `error` is an {@link AiSessionsError}, optionally with the given code. */
export function isAiSessionsError(error: unknown, code?: string): error is AiSessionsError {
  return error instanceof AiSessionsError && (code === undefined || error.code === code);
}
