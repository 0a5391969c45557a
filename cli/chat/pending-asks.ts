/** Which approvals and questions of a replayed log are still waiting for an answer. */
import type { AskUserQuestionPayload, StoredEnvelope, ToolApprovalRequestPayload } from "../../sdk/index.ts";

/** Something the agent waits on the user for. */
export type Ask =
  | { kind: "approval"; request: ToolApprovalRequestPayload }
  | { kind: "question"; request: AskUserQuestionPayload; index: number; answers: Record<string, string> };

/** An ask for a live request. */
export function askFor(
  event:
    | { type: "tool_approval_request"; payload: ToolApprovalRequestPayload }
    | { type: "ask_user_question"; payload: AskUserQuestionPayload },
): Ask {
  return event.type === "tool_approval_request"
    ? { kind: "approval", request: event.payload }
    : { kind: "question", request: event.payload, index: 0, answers: {} };
}

/**
 * The requests of `messages` not yet settled. The log does not record answers, but the session
 * leaves the needs-attention state once nothing is pending any more, so a later
 * `session_status` with `needs_attention: false` settles everything asked before it.
 */
export function unansweredAsks(messages: readonly StoredEnvelope[]): Ask[] {
  const open = new Map<string, Ask>();
  for (const message of messages) {
    if (message.type === "tool_approval_request") open.set(message.payload.tool_use_id, askFor(message));
    else if (message.type === "ask_user_question") open.set(message.payload.question_id, askFor(message));
    else if ((message.type === "session_status" && !message.payload.needs_attention) || message.type === "session_end") open.clear();
  }
  return [...open.values()];
}
