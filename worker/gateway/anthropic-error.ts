/**
 * Errors the gateway answers itself, in Anthropic's shape: its client is Claude Code, which
 * reads `error.type` and `error.message` from that shape (and decides retries from the status).
 */
import type { ErrorType } from "@anthropic-ai/sdk/resources/shared";

/** Builds `{"type":"error","error":{"type":..., "message":...}}` with `status`. */
export function anthropicError(status: number, type: ErrorType, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ type: "error", error: { type, message } }, { status, headers });
}
