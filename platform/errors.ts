/** The one error shape of the API (`{error, message}`) and the exception that carries it. */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody } from "../schemas/common.ts";

/** Thrown anywhere in a request; `app.onError` turns it into the JSON error answer. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  /** The JSON body sent to the client. */
  body(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}

/** Builds the JSON error response without throwing (for places outside Hono's handler chain). */
export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  const body: ErrorBody = { error: code, message };
  return Response.json(body, { status, headers });
}

/** 404 for anything the caller may not see: unknown and foreign resources look the same. */
export function notFound(what: string): ApiError {
  return new ApiError(404, "not_found", `${what} not found`);
}
