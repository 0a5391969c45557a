// The turn queue (durable-objects/session/turn-queue.ts) without workerd: the prompt rate,
// message_queued, one prompt in flight at a time, redelivery and the runner's turn states.
import { describe, expect, it } from "vitest";
import {
  QUEUED_WHILE_ASLEEP,
  PROMPTS_PER_MINUTE,
  admitPrompt,
  dispatchNext,
  dropInflight,
  enqueuePrompt,
  interruptTurn,
  mayDispatch,
  onTurnState,
  redelivery,
  requeueInflight,
} from "../../../durable-objects/session/turn-queue.ts";
import { sessionState } from "./state-fixture.ts";

describe("admitPrompt", () => {
  it("accepts 60 prompts a minute and says when to retry the 61st", () => {
    const state = sessionState();
    for (let i = 0; i < PROMPTS_PER_MINUTE; i++) expect(admitPrompt(state, 1_000_000 + i * 100)).toEqual({ ok: true });
    expect(admitPrompt(state, 1_010_000)).toEqual({ ok: false, retryInSeconds: 50 });
    expect(admitPrompt(state, 1_060_000)).toEqual({ ok: true });
  });
});

describe("enqueuePrompt", () => {
  it("stores the prompt as a user event and queues it without a notice when the agent is free", () => {
    const state = sessionState();
    expect(enqueuePrompt(state, { id: "p1", text: "hi" }, true)).toEqual([
      { kind: "emit", event: { type: "user", payload: { content: "hi" } } },
    ]);
    expect(state.queue).toEqual([{ id: "p1", text: "hi" }]);
  });

  it("tells clients a prompt is queued behind a running turn or a missing runner, but not while starting", () => {
    const busy = sessionState({ inflight: { id: "p0", text: "first" } });
    expect(enqueuePrompt(busy, { id: "p1", text: "second" }, true)[1]).toEqual({
      kind: "emit",
      event: {
        type: "system",
        payload: { subtype: "message_queued", message: "Message queued: it runs when the agent is free.", queue_length: 1 },
      },
    });
    expect(enqueuePrompt(sessionState(), { id: "p1", text: "x" }, false)).toHaveLength(2);
    expect(enqueuePrompt(sessionState({ status: "starting" }), { id: "p1", text: "x" }, false)).toHaveLength(1);
  });

  it("says a sleeping session is waking rather than that the agent is busy", () => {
    const notice = enqueuePrompt(sessionState({ dormant: true }), { id: "p1", text: "x" }, false)[1];
    expect(notice).toMatchObject({ event: { payload: { subtype: "message_queued", message: QUEUED_WHILE_ASLEEP } } });
  });
});

describe("dispatch", () => {
  it("sends one prompt at a time and holds the rest while a turn runs or an ask waits", () => {
    const state = sessionState({
      queue: [
        { id: "p1", text: "a" },
        { id: "p2", text: "b" },
      ],
    });
    expect(mayDispatch(state)).toBe(true);
    expect(dispatchNext(state)).toEqual([
      { kind: "runner", frame: { type: "prompt", prompt_id: "p1", text: "a" } },
      { kind: "ui", change: { uiState: "Running" } },
    ]);
    expect(state.inflight).toEqual({ id: "p1", text: "a" });
    expect(mayDispatch(state)).toBe(false);
    expect(
      mayDispatch(
        sessionState({
          queue: [{ id: "p", text: "a" }],
          pending: [{ requestId: "r", kind: "question", answerId: "q_r", toolName: "AskUserQuestion", input: {}, askedAt: 0 }],
        }),
      ),
    ).toBe(false);
    expect(mayDispatch(sessionState({ queue: [{ id: "p", text: "a" }], status: "ended" }))).toBe(false);
    expect(mayDispatch(null)).toBe(false);
  });

  it("redelivers the prompt in flight to a reconnecting runner, and requeues it first for a new runner process", () => {
    const state = sessionState({ inflight: { id: "p1", text: "a" }, queue: [{ id: "p2", text: "b" }] });
    expect(redelivery(state)).toEqual({ type: "prompt", prompt_id: "p1", text: "a" });
    requeueInflight(state);
    expect(state.inflight).toBeNull();
    expect(state.queue.map((p) => p.id)).toEqual(["p1", "p2"]);
    expect(redelivery(state)).toBeNull();
  });

  it("interrupts only while a turn runs", () => {
    expect(interruptTurn(sessionState())).toEqual([]);
    expect(interruptTurn(sessionState({ inflight: { id: "p", text: "a" } }))).toEqual([{ kind: "runner", frame: { type: "interrupt" } }]);
  });
});

describe("onTurnState", () => {
  it("ignores an idle sent before the runner picked up the prompt in flight", () => {
    const state = sessionState({ inflight: { id: "p1", text: "a" }, inflightStarted: false });
    expect(onTurnState(state, "idle")).toEqual([]);
    expect(state.inflight).not.toBeNull();
  });

  it("marks the turn started, then on idle frees the agent for the next prompt", () => {
    const state = sessionState({ inflight: { id: "p1", text: "a" }, queue: [{ id: "p2", text: "b" }] });
    expect(onTurnState(state, "running")).toEqual([{ kind: "ui", change: { uiState: "Running" } }]);
    expect(state.inflightStarted).toBe(true);
    expect(onTurnState(state, "idle")).toEqual([
      { kind: "ui", change: { uiState: "Running" } },
      { kind: "checkpoint" },
      { kind: "pump" },
      { kind: "alarm" },
    ]);
    expect(state.inflight).toBeNull();
    // An idle with no turn in flight (a runner reconnecting) finished nothing: no checkpoint.
    expect(onTurnState(state, "idle")).toEqual([{ kind: "ui", change: { uiState: "Running" } }, { kind: "pump" }, { kind: "alarm" }]);
  });

  it("ends a one_shot session when its turn is done and nothing is queued", () => {
    const state = sessionState({ inflight: { id: "p1", text: "a" }, inflightStarted: true, turnsFinished: 1 }, { one_shot: true });
    expect(onTurnState(state, "idle")).toEqual([{ kind: "end", reason: "completed", detail: "one_shot: the task is done" }]);
  });

  it("drops the turn of an agent that exited", () => {
    const state = sessionState({ inflight: { id: "p1", text: "a" } });
    expect(dropInflight(state)).toEqual([{ kind: "ui", change: { uiState: "Waiting" } }]);
    expect(state.inflight).toBeNull();
    expect(dropInflight(state)).toEqual([]);
  });
});
