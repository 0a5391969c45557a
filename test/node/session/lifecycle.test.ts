// The session lifecycle (durable-objects/session/lifecycle.ts) without workerd: status changes
// and when they are announced, the end of a session, turn and budget limits, gateway admission.
import { describe, expect, it } from "vitest";
import {
  addUsage,
  admitModelCall,
  applyUi,
  endSession,
  runnerExitEnd,
  turnLimitReached,
} from "../../../durable-objects/session/lifecycle.ts";
import { sessionState } from "./state-fixture.ts";

const usage = (cost: number) => ({
  input_tokens: 10,
  output_tokens: 5,
  cache_creation_input_tokens: 1,
  cache_read_input_tokens: 2,
  cost_usd: cost,
  model: "m",
});

describe("applyUi", () => {
  it("announces a change once, and nothing when nothing changed", () => {
    const state = sessionState({ uiState: "Waiting" });
    expect(applyUi(state, { uiState: "Running" })).toEqual({
      type: "session_status",
      payload: { status: "running", ui_state: "Running", needs_attention: false, dormant: false },
    });
    expect(applyUi(state, { uiState: "Running" })).toBeNull();
  });

  it("shows Waiting while the session needs attention, whatever else is asked", () => {
    const state = sessionState();
    const event = applyUi(state, { needsAttention: true, uiState: "Running" });
    expect(event?.payload).toMatchObject({ ui_state: "Waiting", needs_attention: true });
  });

  it("changes nothing on an ended session", () => {
    const state = sessionState({ status: "ended", uiState: "Ended" });
    expect(applyUi(state, { status: "running", uiState: "Running" })).toBeNull();
    expect(state.uiState).toBe("Ended");
  });
});

describe("endSession", () => {
  it("clears the queue and asks, records the reason and returns the final events; a second end is a no-op", () => {
    const state = sessionState({
      queue: [{ id: "p2", text: "later" }],
      inflight: { id: "p1", text: "now" },
      pending: [{ requestId: "r", kind: "approval", answerId: "t", toolName: "Bash", input: {}, askedAt: 0 }],
      needsAttention: true,
    });
    const events = endSession(state, "user_requested", "bye", new Date("2026-01-01T01:00:00Z"));
    expect(events).toEqual([
      { type: "session_status", payload: { status: "ended", ui_state: "Ended", needs_attention: false, dormant: false } },
      { type: "session_end", payload: { reason: "user_requested", detail: "bye", exit_code: null } },
    ]);
    expect(state).toMatchObject({
      queue: [],
      inflight: null,
      pending: [],
      terminatedAt: "2026-01-01T01:00:00.000Z",
      endReason: "user_requested",
    });
    expect(endSession(state, "failed", null, new Date())).toBeNull();
    expect(state.endReason).toBe("user_requested");
  });

  it("puts a session_error before a failed end, and the runner's exit code in session_end", () => {
    const state = sessionState({ exitCode: 3 });
    expect(endSession(state, "failed", "the sandbox could not be started", new Date())).toEqual([
      { type: "session_error", payload: { error: "the sandbox could not be started", details: "Exit code: 3" } },
      { type: "session_status", payload: { status: "ended", ui_state: "Ended", needs_attention: false, dormant: false } },
      { type: "session_end", payload: { reason: "failed", detail: "the sandbox could not be started", exit_code: 3 } },
    ]);
  });
});

describe("limits", () => {
  it("ends on max_turns once the finished turns reach it, and on the agent's own limit results", () => {
    expect(turnLimitReached(sessionState({}, { max_turns: 3 }), "success")).toEqual([]);
    const spent = sessionState({}, { max_turns: 3 });
    spent.usage.turns = 3;
    expect(turnLimitReached(spent, "success")).toEqual([{ kind: "end", reason: "completed", detail: "max_turns reached (3 of 3)" }]);
    expect(turnLimitReached(sessionState(), "error_max_turns")).toEqual([
      { kind: "end", reason: "completed", detail: "max_turns reached (0 of ?)" },
    ]);
    expect(turnLimitReached(sessionState(), "error_max_budget_usd")).toEqual([
      { kind: "end", reason: "completed", detail: "max_budget_usd exceeded" },
    ]);
  });

  it("adds usage, reports the running total and ends when the budget is spent", () => {
    const state = sessionState({}, { max_budget_usd: 0.5 });
    expect(addUsage(state, usage(0.3))).toEqual([
      { kind: "emit", event: { type: "usage_delta", payload: { ...usage(0.3), total_cost_usd: 0.3, simulated: false } } },
    ]);
    const effects = addUsage(state, usage(0.2));
    expect(state.usage).toEqual({
      input_tokens: 20,
      output_tokens: 10,
      cache_creation_input_tokens: 2,
      cache_read_input_tokens: 4,
      cost_usd: 0.5,
      simulated: false,
      turns: 0,
    });
    expect(effects[1]).toEqual({ kind: "end", reason: "completed", detail: "max_budget_usd exceeded ($0.5 of $0.5)" });
  });

  it("admits model calls until the session ends or its tokens expire, opening each in the ledger", () => {
    // The ledger itself (SQLite: cap, reservations, leases) is exercised in test/workers/gateway-budget.test.ts.
    const opened: Array<[number, number, number | null]> = [];
    const ledger = {
      open: (now: number, spent: number, budget: number | null) => {
        opened.push([now, spent, budget]);
        return { ok: true as const, callId: `call-${opened.length}` };
      },
    };
    expect(admitModelCall(sessionState({ tokensExpireAt: 2000 }), 1000, ledger, true)).toEqual({
      allowed: true,
      callId: "call-1",
      userId: "user-1",
      orgId: null,
      credential: { kind: "user" },
    });
    expect(admitModelCall(sessionState({ tokensExpireAt: 2000 }), 3000, ledger, true)).toMatchObject({ allowed: false, reason: "expired" });
    expect(admitModelCall(sessionState({ status: "ended" }), 0, ledger, true)).toMatchObject({ allowed: false, reason: "session_ended" });
    // The runner's socket closed and has not come back: nothing for an agent it left behind.
    expect(admitModelCall(sessionState({ runnerCheckAt: 5000 }), 0, ledger, false)).toMatchObject({
      allowed: false,
      reason: "runner_gone",
    });
    const spending = sessionState({}, { max_budget_usd: 1 });
    spending.usage.cost_usd = 0.25;
    admitModelCall(spending, 500, ledger, true);
    // Only the admissible calls reached the ledger, each with what is spent and the cap.
    expect(opened).toEqual([
      [1000, 0, null],
      [500, 0.25, 1],
    ]);
  });

  it("passes the ledger's refusals on with the message the gateway forwards", () => {
    const refusing = (refusal: "too_many_calls" | "budget_reserved" | "budget_exceeded") => ({
      open: () => ({ ok: false as const, refusal }),
    });
    const state = sessionState({}, { max_budget_usd: 1 });
    expect(admitModelCall(state, 0, refusing("budget_exceeded"), true)).toEqual({
      allowed: false,
      reason: "budget_exceeded",
      message: "session budget of $1 exceeded",
    });
    expect(admitModelCall(state, 0, refusing("budget_reserved"), true)).toMatchObject({ allowed: false, reason: "budget_reserved" });
    expect(admitModelCall(state, 0, refusing("too_many_calls"), true)).toEqual({
      allowed: false,
      reason: "too_many_calls",
      message: "at most 8 model calls may run at once per session; retry when one finishes",
    });
  });

  it("ends with job_completed only when the sandbox says the runner is gone", () => {
    expect(runnerExitEnd(null)).toEqual([]);
    expect(runnerExitEnd({ running: true, exitCode: null, signal: null })).toEqual([]);
    expect(runnerExitEnd({ running: false, exitCode: 0, signal: null })).toEqual([
      { kind: "end", reason: "job_completed", detail: "the runner exited with code 0" },
    ]);
    expect(runnerExitEnd({ running: false, exitCode: null, signal: null })).toEqual([
      { kind: "end", reason: "job_completed", detail: "the runner exited" },
    ]);
    expect(runnerExitEnd({ running: false, exitCode: null, signal: "SIGKILL" })).toEqual([
      { kind: "end", reason: "job_completed", detail: "the runner was killed by SIGKILL" },
    ]);
  });
});
