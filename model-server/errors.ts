// Anthropic's JSON error shape: `{ type: "error", error: { type, message }, request_id }`.
import type { ErrorResponse, ErrorType } from "@anthropic-ai/sdk/resources/shared";

// The error type the real API pairs with each HTTP status.
const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** The error `type` for an HTTP status (`api_error` for anything unlisted). */
export function errorTypeFor(status: number): ErrorType {
  return TYPE_BY_STATUS[status] ?? "api_error";
}

/** An error body in Anthropic's shape for `status`. */
export function errorBody(status: number, message: string, requestId: string | null = null): ErrorResponse {
  // ErrorObject is a union keyed by `type`; the mapping above keeps type and status consistent.
  return { type: "error", error: { type: errorTypeFor(status), message } as ErrorResponse["error"], request_id: requestId };
}
