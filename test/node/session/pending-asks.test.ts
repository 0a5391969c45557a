// Pending asks (durable-objects/session/pending-asks.ts) without workerd: tool approvals and
// questions opened, answered, expired and withdrawn, and approvals for the whole session.
import { describe, expect, it } from "vitest";
import { answerApproval, answerQuestion, cancelAsk, expireAsk, openAsk } from "../../../durable-objects/session/pending-asks.ts";
import { sessionState } from "./state-fixture.ts";

const bash = (id: string, command: string) => ({
  type: "permission_request" as const,
  request_id: id,
  tool_name: "Bash",
  input: { command },
  tool_use_id: `tu_${id}`,
});

describe("openAsk", () => {
  it("answers at once what the session's lists decide", () => {
    const state = sessionState({}, { allowed_tools: ["Bash(ls:*)"], denied_tools: ["Bash(rm:*)"] });
    expect(openAsk(state, bash("r1", "ls -la"), 0)).toEqual([
      { kind: "runner", frame: { type: "permission_response", request_id: "r1", behavior: "allow", updated_input: { command: "ls -la" } } },
    ]);
    const denied = openAsk(state, bash("r2", "rm -rf x"), 0);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ kind: "runner", frame: { request_id: "r2", behavior: "deny" } });
    expect(state.pending).toEqual([]);
  });

  it("opens an approval once per request id, asks the clients and needs attention", () => {
    const state = sessionState();
    const effects = openAsk(state, bash("r1", "make"), 1234);
    expect(effects).toEqual([
      {
        kind: "emit",
        event: {
          type: "tool_approval_request",
          payload: { tool_use_id: "tu_r1", tool_name: "Bash", tool_input: { command: "make" }, session_patterns: ["Bash(make:*)"] },
        },
      },
      { kind: "ui", change: { needsAttention: true, uiState: "Waiting" } },
      { kind: "alarm" },
    ]);
    expect(state.pending).toEqual([
      {
        requestId: "r1",
        kind: "approval",
        answerId: "tu_r1",
        toolName: "Bash",
        input: { command: "make" },
        askedAt: 1234,
        sessionPatterns: ["Bash(make:*)"],
      },
    ]);
    expect(openAsk(state, bash("r1", "make"), 2000)).toEqual([]);
    expect(state.pending).toHaveLength(1);
  });

  it("offers one pattern per stage for the session, and none for a call no pattern can cover", () => {
    const state = sessionState();
    const offered = (effects: ReturnType<typeof openAsk>) =>
      (effects[0] as { event: { payload: { session_patterns: string[] } } }).event.payload.session_patterns;
    expect(offered(openAsk(state, bash("r1", "printf x > f && cat f"), 0))).toEqual(["Bash(printf:*)", "Bash(cat:*)"]);
    expect(offered(openAsk(state, bash("r2", "echo $(whoami)"), 0))).toEqual([]);
  });

  it("judges edits against the workspace the runner reports", () => {
    const state = sessionState({}, { permission_mode: "acceptEdits" });
    const edit = (id: string, path: string) => ({
      type: "permission_request" as const,
      request_id: id,
      tool_name: "Write",
      input: { file_path: path, content: "x" },
      workspace_dir: "/srv/ws-1",
    });
    expect(openAsk(state, edit("r1", "/srv/ws-1/a.txt"), 0)).toEqual([
      {
        kind: "runner",
        frame: {
          type: "permission_response",
          request_id: "r1",
          behavior: "allow",
          updated_input: { file_path: "/srv/ws-1/a.txt", content: "x" },
        },
      },
    ]);
    // /workspace is not this session's workspace: the edit asks instead.
    expect(openAsk(state, edit("r2", "/workspace/a.txt"), 0)[0]).toMatchObject({ kind: "emit", event: { type: "tool_approval_request" } });
  });

  it("judges an edit by where its path really leads when the runner resolved a link", () => {
    const state = sessionState({}, { permission_mode: "acceptEdits" });
    const viaLink = {
      type: "permission_request" as const,
      request_id: "r1",
      tool_name: "Write",
      input: { file_path: "/workspace/link/x", content: "x" },
      resolved_paths: { file_path: "/etc/x" },
    };
    expect(openAsk(state, viaLink, 0)[0]).toMatchObject({
      kind: "emit",
      event: { type: "tool_approval_request", payload: { tool_use_id: "r1" } },
    });
    expect(state.pending).toHaveLength(1);
  });

  it("turns AskUserQuestion into a question with its own id", () => {
    const state = sessionState();
    const questions = [{ question: "Which?", options: [] }];
    const effects = openAsk(state, { type: "permission_request", request_id: "r9", tool_name: "AskUserQuestion", input: { questions } }, 0);
    expect(effects[0]).toEqual({ kind: "emit", event: { type: "ask_user_question", payload: { question_id: "q_r9", questions } } });
  });
});

describe("answers", () => {
  it("allows an approved call with the client's input and clears the attention flag", () => {
    const state = sessionState({ inflight: { id: "p", text: "x" } });
    openAsk(state, bash("r1", "make"), 0);
    const outcome = answerApproval(state, {
      tool_use_id: "tu_r1",
      approved: true,
      approval_scope: "once",
      updated_input: { command: "make all" },
    });
    expect(outcome).toEqual({
      ok: true,
      effects: [
        {
          kind: "runner",
          frame: { type: "permission_response", request_id: "r1", behavior: "allow", updated_input: { command: "make all" } },
        },
        { kind: "ui", change: { needsAttention: false, uiState: "Running" } },
      ],
    });
    expect(state.pending).toEqual([]);
    expect(answerApproval(state, { tool_use_id: "tu_r1", approved: true, approval_scope: "once" })).toEqual({
      ok: false,
      message: "no pending approval for tool_use_id tu_r1",
    });
  });

  it("denies with the client's message or a default", () => {
    const state = sessionState();
    openAsk(state, bash("r1", "make"), 0);
    const outcome = answerApproval(state, { tool_use_id: "tu_r1", approved: false, approval_scope: "once" });
    expect(outcome.ok && outcome.effects[0]).toEqual({
      kind: "runner",
      frame: { type: "permission_response", request_id: "r1", behavior: "deny", message: "The user denied this tool call." },
    });
  });

  it("grants a session-scoped approval's pattern, so the next matching call is allowed without asking", () => {
    const state = sessionState();
    openAsk(state, bash("r1", "make test"), 0);
    expect(
      answerApproval(state, { tool_use_id: "tu_r1", approved: true, approval_scope: "session", approval_pattern: "Bash(make:*)" }).ok,
    ).toBe(true);
    expect(state.sessionAllowedTools).toEqual(["Bash(make:*)"]);
    expect(openAsk(state, bash("r2", "make lint"), 0)).toEqual([
      {
        kind: "runner",
        frame: { type: "permission_response", request_id: "r2", behavior: "allow", updated_input: { command: "make lint" } },
      },
    ]);
  });

  it("grants exactly the offered patterns when the client names none, and nothing for an uncoverable call", () => {
    const state = sessionState();
    openAsk(state, bash("r1", "printf x > f && cat f"), 0);
    expect(answerApproval(state, { tool_use_id: "tu_r1", approved: true, approval_scope: "session" }).ok).toBe(true);
    expect(state.sessionAllowedTools).toEqual(["Bash(printf:*)", "Bash(cat:*)"]);
    openAsk(state, bash("r2", "echo $(whoami)"), 0);
    expect(answerApproval(state, { tool_use_id: "tu_r2", approved: true, approval_scope: "session" }).ok).toBe(true);
    expect(state.sessionAllowedTools).toEqual(["Bash(printf:*)", "Bash(cat:*)"]);
  });

  it("refuses an approval pattern that is not a permission pattern, leaving the ask open", () => {
    const state = sessionState();
    openAsk(state, bash("r1", "make"), 0);
    const outcome = answerApproval(state, { tool_use_id: "tu_r1", approved: true, approval_scope: "session", approval_pattern: "Bash(" });
    expect(outcome).toEqual({ ok: false, message: "approval_pattern 'Bash(' is not a permission pattern" });
    expect(state.pending).toHaveLength(1);
  });

  it("hands a question's answers to the tool as part of its input", () => {
    const state = sessionState();
    openAsk(state, { type: "permission_request", request_id: "r9", tool_name: "AskUserQuestion", input: { questions: [] } }, 0);
    const outcome = answerQuestion(state, { question_id: "q_r9", answers: { "Which?": "A" } });
    expect(outcome.ok && outcome.effects[0]).toEqual({
      kind: "runner",
      frame: {
        type: "permission_response",
        request_id: "r9",
        behavior: "allow",
        updated_input: { questions: [], answers: { "Which?": "A" } },
      },
    });
    expect(answerQuestion(state, { question_id: "q_r9", answers: {} })).toEqual({ ok: false, message: "no pending question q_r9" });
  });

  it("denies an ask nobody answered in time, and forgets one the runner withdrew", () => {
    const state = sessionState();
    openAsk(state, bash("r1", "make"), 0);
    openAsk(state, bash("r2", "make"), 0);
    expect(expireAsk(state, state.pending[0]!, 300)[0]).toEqual({
      kind: "runner",
      frame: { type: "permission_response", request_id: "r1", behavior: "deny", message: "No answer within 300 s; denied." },
    });
    expect(cancelAsk(state, "r2")).toEqual([{ kind: "ui", change: { needsAttention: false } }]);
    expect(state.pending).toEqual([]);
  });
});
