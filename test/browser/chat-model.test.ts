/** The chat view's model (web/src/chat-model.ts): events in seq order → display items. */
import { describe, expect, it } from "vitest";
import type { StoredEnvelope } from "../../schemas/events.ts";
import { derive, type LocalAnswers } from "../../web/src/chat-model.ts";

let seq = 0;
const ev = (type: string, payload: unknown): StoredEnvelope =>
  ({ type, payload, seq: ++seq, session_id: "s", timestamp: new Date(0).toISOString() }) as StoredEnvelope;
const none = (): LocalAnswers => ({ approvals: new Map(), questions: new Map() });
const status = (ui_state: string, needs_attention: boolean) =>
  ev("session_status", { status: "running", ui_state, needs_attention, dormant: false });

describe("chat model", () => {
  it("joins a tool call with its result in one card", () => {
    seq = 0;
    const events = [
      ev("user", { content: "list files" }),
      ev("assistant", { content: [{ type: "text", text: "Looking." }], model: "m" }),
      ev("tool_use", { id: "t1", name: "Bash", input: { command: "ls" } }),
      ev("tool_result", { tool_use_id: "t1", content: "a\nb", is_error: false }),
      ev("result", { success: true, subtype: "success", summary: "", num_turns: 1, total_cost_usd: 0.01, usage: {} }),
    ];
    const { items } = derive(events, none());
    expect(items.map((i) => i.kind)).toEqual(["user", "assistant", "tool", "result"]);
    const tool = items[2] as any;
    expect(tool.result).toEqual({ content: "a\nb", is_error: false });
    expect(tool.sig).toBe("ok:false");
  });

  it("an approval is pending until answered, and the queued-message notice points at it", () => {
    seq = 0;
    const events = [
      ev("user", { content: "touch x" }),
      ev("tool_use", { id: "t1", name: "Bash", input: { command: "touch x" } }),
      ev("tool_approval_request", { tool_use_id: "t1", tool_name: "Bash", tool_input: { command: "touch x" } }),
      status("Waiting", true),
      ev("user", { content: "and then?" }),
      ev("system", { subtype: "message_queued", message: "queued" }),
    ];
    let d = derive(events, none());
    expect(d.firstPending).toBe("approval:t1");
    expect((d.items.find((i) => i.kind === "tool") as any).waiting).toBe(true);
    expect((d.items.find((i) => i.kind === "notice" && i.subtype === "message_queued") as any).jump).toBe("approval:t1");
    // The server's words: a sleeping session says it is waking, not that the agent is busy.
    expect((d.items.find((i) => i.kind === "notice" && i.subtype === "message_queued") as any).text).toBe("queued");

    // Answered here: settled at once, before the server says anything.
    const local = none();
    local.approvals.set("t1", "approved");
    d = derive(events, local);
    expect(d.firstPending).toBeNull();
    expect((d.items.find((i) => i.kind === "approval") as any).state).toBe("approved");
    expect((d.items.find((i) => i.kind === "notice" && i.subtype === "message_queued") as any).jump).toBeNull();

    // Answered elsewhere: the status without needs_attention settles it.
    d = derive([...events, status("Running", false)], none());
    expect((d.items.find((i) => i.kind === "approval") as any).state).toBe("resolved");
    expect(d.firstPending).toBeNull();
  });

  it("questions keep this client's answers; the session's end settles everything", () => {
    seq = 0;
    const q = {
      question_id: "q1",
      questions: [
        {
          question: "Which?",
          header: "Pick",
          options: [
            { label: "a", description: "" },
            { label: "b", description: "" },
          ],
        },
      ],
    };
    const events = [ev("ask_user_question", q), status("Waiting", true)];
    const local = none();
    local.questions.set("q1", { "Which?": "b" });
    const d = derive(events, local);
    expect(d.items[0]).toMatchObject({ kind: "question", state: "answered", answers: { "Which?": "b" } });
    const ended = derive([...events, ev("session_end", { reason: "user_requested", detail: null })], none());
    expect(ended.items.map((i) => i.kind)).toEqual(["question", "end"]);
    expect(ended.items[0]).toMatchObject({ state: "resolved" });
    expect(ended.firstPending).toBeNull();
  });

  it("sums usage deltas and follows the latest status", () => {
    seq = 0;
    const d = derive(
      [
        status("Running", false),
        ev("usage_delta", { input_tokens: 1, output_tokens: 1, cost_usd: 0.25 }),
        ev("usage_delta", { input_tokens: 1, output_tokens: 1, cost_usd: 0.5 }),
      ],
      none(),
    );
    expect(d.costUsd).toBe(0.75);
    expect(d.running).toBe(true);
  });
});
