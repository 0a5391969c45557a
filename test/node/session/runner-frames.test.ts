// The runner channel as the session DO reads it (durable-objects/session/runner-frames.ts),
// without workerd: decoding, hello from the same or a new runner process, exactly-once event
// storage by rseq, and the agent process exiting.
import { describe, expect, it } from "vitest";
import { agentExited, decodeRunnerFrame, greetRunner, ingestEvents } from "../../../durable-objects/session/runner-frames.ts";
import { sessionState } from "./state-fixture.ts";

const assistant = (rseq: number, text: string) => ({
  type: "event" as const,
  rseq,
  event: { type: "assistant" as const, payload: { content: [{ type: "text", text }], model: "m" } },
});
const result = (rseq: number, subtype: string, turns: number) =>
  ({
    type: "event" as const,
    rseq,
    event: { type: "result", payload: { subtype, num_turns: turns, is_error: false, total_cost_usd: 0, duration_ms: 1, usage: {} } },
  }) as never;

describe("decodeRunnerFrame", () => {
  it("accepts a known frame and drops anything else", () => {
    expect(decodeRunnerFrame(JSON.stringify({ type: "heartbeat" }))).toEqual({ type: "heartbeat" });
    expect(
      decodeRunnerFrame(new TextEncoder().encode(JSON.stringify({ type: "turn_state", state: "idle" })).buffer as ArrayBuffer),
    ).toEqual({ type: "turn_state", state: "idle" });
    expect(decodeRunnerFrame("{")).toBeNull();
    expect(decodeRunnerFrame(JSON.stringify({ type: "turn_state", state: "asleep" }))).toBeNull();
  });
});

describe("greetRunner", () => {
  it("keeps the event numbering and the prompt in flight for the same runner process", () => {
    const state = sessionState({ runnerInstance: "i1", lastRseq: 7, inflight: { id: "p1", text: "a" }, runnerCheckAt: 123 });
    expect(greetRunner(state, { type: "hello", runner_version: "1", runner_instance: "i1" }, new Date(0))).toBe("i1");
    expect(state).toMatchObject({ lastRseq: 7, inflight: { id: "p1" }, runnerCheckAt: null, startedAt: "1970-01-01T00:00:00.000Z" });
  });

  it("restarts the numbering and requeues the prompt in flight for a new runner process", () => {
    const state = sessionState({
      runnerInstance: "i1",
      lastRseq: 7,
      inflight: { id: "p1", text: "a" },
      queue: [{ id: "p2", text: "b" }],
      startedAt: "earlier",
    });
    expect(greetRunner(state, { type: "hello", runner_version: "1" }, new Date(0))).toBe("unknown");
    expect(state).toMatchObject({ runnerInstance: "unknown", lastRseq: 0, inflight: null, startedAt: "earlier" });
    expect(state.queue.map((p) => p.id)).toEqual(["p1", "p2"]);
  });
});

describe("ingestEvents", () => {
  it("stores each rseq once, in order, and counts finished turns", () => {
    const state = sessionState({ lastRseq: 2 });
    const { events, results } = ingestEvents(state, [assistant(1, "old"), assistant(3, "new"), result(4, "success", 2)]);
    expect(events.map((e) => e.type)).toEqual(["assistant", "result"]);
    expect(results).toEqual(["success"]);
    expect(state).toMatchObject({ lastRseq: 4, turnsFinished: 1 });
    expect(state.usage.turns).toBe(2);
    expect(ingestEvents(state, [assistant(3, "again"), result(4, "success", 2)])).toEqual({ events: [], results: [] });
  });
});

describe("agentExited", () => {
  it("fails the session when the agent could not run at all", () => {
    const state = sessionState();
    expect(agentExited(state, { type: "agent_exited", code: 1, signal: null, error: "no binary" })).toEqual([
      { kind: "end", reason: "failed", detail: "the agent could not run: no binary" },
    ]);
    expect(state.errorMessage).toBe("no binary");
  });

  it("announces a crash and ends the turn it took with it", () => {
    const state = sessionState({ inflight: { id: "p1", text: "a" } });
    expect(agentExited(state, { type: "agent_exited", code: null, signal: "SIGKILL" })).toEqual([
      {
        kind: "emit",
        event: {
          type: "system",
          payload: {
            subtype: "agent_exited",
            message: "The agent process exited (SIGKILL); it restarts with the conversation on the next prompt.",
          },
        },
      },
      { kind: "ui", change: { uiState: "Waiting" } },
    ]);
    expect(state.inflight).toBeNull();
  });
});
