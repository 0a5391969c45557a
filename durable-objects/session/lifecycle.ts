/**
 * The session's lifecycle as clients see it: status, UI state and attention flag, the end of a
 * session and what ends one (turn limits, the budgets in dollars and tokens, the runner's exit), and the model
 * gateway's admission check (against the ledger of calls in flight, model-calls.ts). Pure:
 * functions of the session state and one input that update the state in place and return the
 * events or effects (effects.ts) the DO carries out.
 */
import type { EndReason, StoredEventBody } from "../../schemas/events.ts";
import type { ModelAdmission, ModelUsage } from "../../platform/contracts/session.ts";
import type { Effect, UiChange } from "./effects.ts";
import { refusalMessage, type ModelCallLedger } from "./model-calls.ts";
import type { SessionState } from "./session-state.ts";
import { runnerExitDetail, type RunnerProcessState } from "./sandbox/backend.ts";

/** The payload of `session_status`. */
export function statusPayload(state: SessionState) {
  return { status: state.status, ui_state: state.uiState, needs_attention: state.needsAttention, dormant: state.dormant };
}

/** The `session_status` event announcing the current status. */
export function statusEvent(state: SessionState): StoredEventBody {
  return { type: "session_status", payload: statusPayload(state) };
}

/**
 * Applies a UI-visible change; returns the `session_status` event to announce when something
 * changed, null otherwise (an ended session no longer changes).
 */
export function applyUi(state: SessionState, change: UiChange): StoredEventBody | null {
  if (state.status === "ended") return null;
  const before = JSON.stringify(statusPayload(state));
  if (change.status) state.status = change.status;
  if (change.uiState) state.uiState = change.uiState;
  if (change.needsAttention !== undefined) state.needsAttention = change.needsAttention;
  if (state.needsAttention) state.uiState = "Waiting";
  return JSON.stringify(statusPayload(state)) === before ? null : statusEvent(state);
}

/**
 * Marks the session ended for `reason`; returns the final events, or null when it had already
 * ended. The DO then closes the sockets, stops the sandbox and releases the slot.
 */
export function endSession(state: SessionState, reason: EndReason, detail: string | null, now: Date): StoredEventBody[] | null {
  if (state.status === "ended") return null;
  state.status = "ended";
  state.uiState = "Ended";
  state.needsAttention = false;
  state.terminatedAt = now.toISOString();
  state.endReason = reason;
  state.endDetail = detail;
  state.queue = [];
  state.inflight = null;
  state.pending = [];
  state.endedDormant = state.dormant; // only then is the archive the workspace as it ended (a fork copies it)
  state.dormant = false; // the archive stays until the record is purged
  state.hibernation = null;
  const end: StoredEventBody[] = [
    statusEvent(state),
    { type: "session_end", payload: { reason, detail, exit_code: state.exitCode ?? null } },
  ];
  return reason === "failed" ? [failureEvent(state, detail), ...end] : end;
}

/** The `session_error` that precedes a `failed` end: what failed, and the specifics (the error, or the exit code). */
function failureEvent(state: SessionState, detail: string | null): StoredEventBody {
  const exit = state.exitCode === null || state.exitCode === undefined ? null : `Exit code: ${state.exitCode}`;
  return { type: "session_error", payload: { error: detail ?? "the session failed", details: state.errorMessage ?? exit } };
}

/** Ends the session when a finished turn used up `max_turns` or the budget (docs/api.md §4). */
export function turnLimitReached(state: SessionState, resultSubtype: string): Effect[] {
  const { max_turns: maxTurns } = state.init.settings;
  if (resultSubtype === "error_max_budget_usd") return [{ kind: "end", reason: "completed", detail: "max_budget_usd exceeded" }];
  if (resultSubtype === "error_max_turns" || (maxTurns !== null && state.usage.turns >= maxTurns)) {
    return [{ kind: "end", reason: "completed", detail: `max_turns reached (${state.usage.turns} of ${maxTurns ?? "?"})` }];
  }
  return [];
}

/** Adds one model call's usage; the `usage_delta` to emit, and the end when the budget is spent. */
export function addUsage(state: SessionState, usage: ModelUsage): Effect[] {
  state.usage.input_tokens += usage.input_tokens;
  state.usage.output_tokens += usage.output_tokens;
  state.usage.cache_creation_input_tokens += usage.cache_creation_input_tokens;
  state.usage.cache_read_input_tokens += usage.cache_read_input_tokens;
  state.usage.cost_usd = Math.round((state.usage.cost_usd + usage.cost_usd) * 1e6) / 1e6;
  const effects: Effect[] = [
    {
      kind: "emit",
      event: {
        type: "usage_delta",
        payload: { ...usage, total_cost_usd: state.usage.cost_usd, simulated: state.usage.simulated ?? false },
      },
    },
  ];
  const budget = state.init.settings.max_budget_usd;
  if (budget !== null && state.usage.cost_usd >= budget && state.status !== "ended") {
    effects.push({ kind: "end", reason: "completed", detail: `max_budget_usd exceeded ($${state.usage.cost_usd} of $${budget})` });
  } else if (tokenBudgetPassed(state)) {
    // The detail is the field's name, as the product reports this end.
    effects.push({ kind: "end", reason: "completed", detail: "task_budget_tokens" });
  }
  return effects;
}

/** Whether the session's input plus output tokens have passed its `task_budget_tokens` (cache tokens do not count). */
function tokenBudgetPassed(state: SessionState): boolean {
  const limit = state.init.taskBudgetTokens ?? null;
  return limit !== null && state.status !== "ended" && state.usage.input_tokens + state.usage.output_tokens > limit;
}

/**
 * Whether the model gateway may call the model for this session, once its token checked out; an
 * admitted call is opened in `calls` (the concurrency cap and its budget reservation) until the
 * gateway settles it.
 */
export function admitModelCall(
  state: SessionState,
  now: number,
  calls: Pick<ModelCallLedger, "open">,
  runnerConnected: boolean,
): ModelAdmission {
  if (state.status === "ended") return { allowed: false, reason: "session_ended", message: "the session has ended" };
  // The runner's socket closed and has not come back: an agent it left behind gets nothing.
  if (state.runnerCheckAt !== null && !runnerConnected)
    return { allowed: false, reason: "runner_gone", message: "the session's runner is not connected" };
  if (state.tokensExpireAt !== null && now > state.tokensExpireAt)
    return { allowed: false, reason: "expired", message: "the session gateway token expired" };
  const budget = state.init.settings.max_budget_usd;
  const call = calls.open(now, state.usage.cost_usd, budget);
  if (!call.ok) return { allowed: false, reason: call.refusal, message: refusalMessage(call.refusal, budget) };
  return {
    allowed: true,
    callId: call.callId,
    userId: state.init.userId,
    orgId: state.init.orgId ?? null,
    credential: state.init.credential ?? { kind: "user" },
  };
}

/** The end a runner's exit means, given what the sandbox says (null: it still runs, or is unknown). */
export function runnerExitEnd(sandbox: RunnerProcessState | null): Effect[] {
  if (!sandbox || sandbox.running) return [];
  return [{ kind: "end", reason: "job_completed", detail: runnerExitDetail(sandbox) }];
}
