/**
 * Who may use a session's gateway: the sandbox's per-session token, checked by the session's
 * Durable Object, which also knows whether the session has ended or spent its budget.
 */
import type { ModelAdmission } from "../../platform/contracts/session.ts";
import { anthropicError } from "./anthropic-error.ts";

/** Seconds a caller refused for calls in flight should wait: about one short model answer. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

/** The session's "no", with its reason. */
export type Refusal = Extract<ModelAdmission, { allowed: false }>;

/**
 * The gateway token a request carries: the runner's loopback proxy sends it as
 * `Authorization: Bearer`; `x-api-key` is accepted too (how Claude Code sends an API key).
 */
export function gatewayTokenOf(headers: Headers): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1];
  return bearer ?? (headers.get("x-api-key")?.trim() || null);
}

/**
 * The answer to a refused call. A spent budget is a 400, not a 429: Claude Code retries 429
 * and 5xx, and no retry can succeed once the budget is gone.
 */
export function refusalResponse(refusal: Refusal): Response {
  switch (refusal.reason) {
    case "bad_token":
    case "expired":
      return anthropicError(401, "authentication_error", refusal.message);
    case "session_ended":
      return anthropicError(403, "permission_error", refusal.message);
    case "runner_gone":
      // No one would read the answer (an agent orphaned by its runner's crash), or the runner is
      // reconnecting after a blip: a 503, which Claude Code retries, passes once it is back.
      return anthropicError(503, "api_error", refusal.message, { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) });
    case "budget_reserved":
    case "too_many_calls":
      // Passes once calls in flight finish: a 429, which Claude Code retries after `retry-after`.
      return anthropicError(429, "rate_limit_error", refusal.message, { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) });
    case "budget_exceeded": {
      const message = /budget.*exceeded/i.test(refusal.message) ? refusal.message : `session budget exceeded: ${refusal.message}`;
      return anthropicError(400, "invalid_request_error", message);
    }
  }
}
