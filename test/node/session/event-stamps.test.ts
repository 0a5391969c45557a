// What the session adds to agent events as it stores them (durable-objects/session/event-stamps.ts,
// through ingestEvents): the platform's cost on a turn's result, the session's effective
// permission mode and the simulated-model flag on Claude Code's init; and the name a first
// prompt gives an unnamed session (session-name.ts).
import { describe, expect, it } from "vitest";
import { ingestEvents } from "../../../durable-objects/session/runner-frames.ts";
import { NAME_FROM_PROMPT_CHARS, nameFromPrompt } from "../../../durable-objects/session/session-name.ts";
import { sessionState } from "./state-fixture.ts";

const frame = (rseq: number, event: unknown) => ({ type: "event" as const, rseq, event }) as never;
const result = (rseq: number, claudeCost: number) =>
  frame(rseq, {
    type: "result",
    payload: { success: true, subtype: "success", summary: "", num_turns: 1, total_cost_usd: claudeCost, usage: {} },
  });
const init = (rseq: number) =>
  frame(rseq, {
    type: "system",
    payload: {
      subtype: "init",
      message: "Claude Code started (model claude-opus-5-5)",
      model: "claude-opus-5-5",
      permission_mode: "default",
    },
  });

describe("events stamped as the session stores them", () => {
  it("gives a turn's result the session's metered cost beside Claude Code's own estimate", () => {
    const state = sessionState();
    state.usage.cost_usd = 0.3466;
    const [stored] = ingestEvents(state, [result(1, 0.2773)]).events;
    expect(stored).toMatchObject({ type: "result", payload: { total_cost_usd: 0.2773, session_cost_usd: 0.3466, cost_simulated: false } });
  });

  it("says the cost is simulated when the session's model is", () => {
    const state = sessionState();
    state.usage.simulated = true;
    state.usage.cost_usd = 0.01;
    const [stored] = ingestEvents(state, [result(1, 0.5)]).events;
    expect(stored).toMatchObject({ payload: { session_cost_usd: 0.01, cost_simulated: true } });
  });

  it("states the session's effective permission mode on Claude Code's init, not the mode Claude Code runs in", () => {
    const state = sessionState({}, { permission_mode: "bypassPermissions" });
    state.usage.simulated = true;
    const [stored] = ingestEvents(state, [init(1)]).events;
    expect(stored).toMatchObject({
      type: "system",
      payload: { subtype: "init", permission_mode: "bypassPermissions", agent_permission_mode: "default", model_simulated: true },
    });
  });

  it("leaves other events as they are", () => {
    const state = sessionState();
    const event = { type: "assistant", payload: { content: [{ type: "text", text: "hi" }], model: "m" } };
    expect(ingestEvents(state, [frame(1, event)]).events).toEqual([event]);
  });
});

describe("a session named from its first prompt", () => {
  it("takes the first non-empty line, whitespace collapsed", () => {
    expect(nameFromPrompt("\n\n  Summarise   the logs\nin /var/log ")).toBe("Summarise the logs");
  });

  it("cuts a long line at a word, marked with an ellipsis", () => {
    const name = nameFromPrompt(`${"word ".repeat(30)}end`)!;
    expect(name.length).toBeLessThanOrEqual(NAME_FROM_PROMPT_CHARS);
    expect(name).toMatch(/^word( word)+…$/);
  });

  it("gives no name for a prompt of blanks", () => {
    expect(nameFromPrompt(" \n\t ")).toBeNull();
  });
});
