/**
 * Pending asks: tool calls the agent wants to make and questions it puts to the user
 * (AskUserQuestion), both arriving as the runner's `permission_request`. The session's lists and
 * mode decide a call at once when they can (permissions/engine.ts); otherwise the ask waits in
 * `state.pending` for a client's answer, a timeout (unattended sessions), or the runner's
 * withdrawal. An approval "for the session" adds exactly the patterns the request offered
 * (`session_patterns`, permissions/session-patterns.ts), which the rest of the session allows.
 *
 * Pure: each function takes the session state and one input, updates the state in place and
 * returns the effects (effects.ts) the DO performs.
 */
import type { ClientFrame } from "../../schemas/client-frames.ts";
import { isPermissionPattern } from "../../schemas/permissions.ts";
import type { RunnerToPlatform } from "../../schemas/runner.ts";
import type { Effect } from "./effects.ts";
import { decideToolUse, sessionPatterns } from "./permissions/engine.ts";
import type { PendingRequest, SessionState } from "./session-state.ts";
import { answersByQuestionText, questionsOf } from "./question-answers.ts";

/** A client's answer to an approval or a question. */
export type ApprovalAnswer = Extract<ClientFrame, { type: "tool_approval_response" }>["payload"];
export type QuestionAnswer = Extract<ClientFrame, { type: "ask_user_question_response" }>["payload"];
/** What the runner is told about one ask. */
export type Decision = { behavior: "allow" | "deny"; updated_input?: Record<string, unknown>; message?: string };
/** The effects of an answer, or why it was refused (replied to the answering client only). */
export type AnswerOutcome = { ok: true; effects: Effect[] } | { ok: false; message: string };

/** Decides a tool call by the session's lists and mode, or opens an ask for the clients. */
export function openAsk(state: SessionState, frame: Extract<RunnerToPlatform, { type: "permission_request" }>, now: number): Effect[] {
  // The runner re-sends unanswered requests after a reconnect: one pending entry per request.
  if (state.pending.some((p) => p.requestId === frame.request_id)) return [];
  const settings = state.init.settings;
  const call = { toolName: frame.tool_name, input: frame.input, ...(frame.resolved_paths ? { resolvedPaths: frame.resolved_paths } : {}) };
  const verdict = decideToolUse(call, {
    allowed: [...settings.allowed_tools, ...state.sessionAllowedTools],
    denied: settings.denied_tools,
    mode: settings.permission_mode,
    ...(frame.workspace_dir !== undefined ? { workspace: frame.workspace_dir } : {}),
  });
  if (verdict.decision === "allow")
    return [
      {
        kind: "runner",
        frame: { type: "permission_response", request_id: frame.request_id, behavior: "allow", updated_input: frame.input },
      },
    ];
  if (verdict.decision === "deny")
    return [
      { kind: "runner", frame: { type: "permission_response", request_id: frame.request_id, behavior: "deny", message: verdict.reason } },
    ];

  const isQuestion = frame.tool_name === "AskUserQuestion";
  const pending: PendingRequest = {
    requestId: frame.request_id,
    kind: isQuestion ? "question" : "approval",
    answerId: isQuestion ? `q_${frame.request_id}` : (frame.tool_use_id ?? frame.request_id),
    toolName: frame.tool_name,
    input: frame.input,
    askedAt: now,
    ...(isQuestion ? {} : { sessionPatterns: sessionPatterns(call, frame.workspace_dir) }),
  };
  state.pending.push(pending);
  const effects: Effect[] = [];
  if (isQuestion) {
    const questions = Array.isArray(frame.input.questions) ? frame.input.questions : [];
    effects.push({
      kind: "emit",
      event: { type: "ask_user_question", payload: { question_id: pending.answerId, questions: questions as never } },
    });
  } else {
    effects.push({
      kind: "emit",
      event: {
        type: "tool_approval_request",
        payload: {
          tool_use_id: pending.answerId,
          tool_name: frame.tool_name,
          tool_input: frame.input,
          session_patterns: pending.sessionPatterns ?? [],
        },
      },
    });
  }
  effects.push({ kind: "ui", change: { needsAttention: true, uiState: "Waiting" } }, { kind: "alarm" });
  return effects;
}

/** A client's answer to a tool approval; "for the session" also grants the patterns the request offered. */
export function answerApproval(state: SessionState, answer: ApprovalAnswer): AnswerOutcome {
  const pending = state.pending.find((p) => p.kind === "approval" && p.answerId === answer.tool_use_id);
  if (!pending) return { ok: false, message: `no pending approval for tool_use_id ${answer.tool_use_id}` };
  if (answer.approval_pattern !== undefined && !isPermissionPattern(answer.approval_pattern)) {
    return { ok: false, message: `approval_pattern '${answer.approval_pattern}' is not a permission pattern` };
  }
  if (answer.approved && answer.approval_scope === "session") {
    // Exactly what the request showed (`session_patterns`); none when the call cannot be covered: approved once only.
    const patterns =
      answer.approval_pattern !== undefined
        ? [answer.approval_pattern]
        : (pending.sessionPatterns ?? sessionPatterns({ toolName: pending.toolName, input: pending.input }));
    for (const pattern of patterns) if (!state.sessionAllowedTools.includes(pattern)) state.sessionAllowedTools.push(pattern);
  }
  const decision: Decision = answer.approved
    ? { behavior: "allow", updated_input: answer.updated_input ?? pending.input }
    : { behavior: "deny", message: answer.message ?? "The user denied this tool call." };
  return { ok: true, effects: resolveAsk(state, pending, decision) };
}

/** A client's answer to a question: Claude Code's AskUserQuestion takes it as part of its (updated) input. */
export function answerQuestion(state: SessionState, answer: QuestionAnswer): AnswerOutcome {
  const pending = state.pending.find((p) => p.kind === "question" && p.answerId === answer.question_id);
  if (!pending) return { ok: false, message: `no pending question ${answer.question_id}` };
  // Claude Code reads answers keyed by question text; the product's client keys them by header.
  const answers = answersByQuestionText(questionsOf(pending.input), answer.answers);
  return { ok: true, effects: resolveAsk(state, pending, { behavior: "allow", updated_input: { ...pending.input, answers } }) };
}

/** An unattended session's ask went unanswered for `timeoutSeconds`: it is denied. */
export function expireAsk(state: SessionState, pending: PendingRequest, timeoutSeconds: number): Effect[] {
  return resolveAsk(state, pending, { behavior: "deny", message: `No answer within ${timeoutSeconds} s; denied.` });
}

/** The runner withdrew an ask (e.g. the turn was interrupted): nobody needs to answer it any more. */
export function cancelAsk(state: SessionState, requestId: string): Effect[] {
  state.pending = state.pending.filter((p) => p.requestId !== requestId);
  return [{ kind: "ui", change: { needsAttention: state.pending.length > 0 } }];
}

/** Closes an ask with `decision` and tells the runner. */
export function resolveAsk(state: SessionState, pending: PendingRequest, decision: Decision): Effect[] {
  state.pending = state.pending.filter((p) => p !== pending);
  return [
    { kind: "runner", frame: { type: "permission_response", request_id: pending.requestId, ...decision } },
    { kind: "ui", change: { needsAttention: state.pending.length > 0, uiState: state.inflight ? "Running" : "Waiting" } },
  ];
}
