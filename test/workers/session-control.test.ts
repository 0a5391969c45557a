/** Limits, timers and end reasons of a session, driven by their real triggers (docs/api.md §4–6). */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RECORDER_TOKEN } from "../fakes/sandbox-host-recorder.ts";
import { call } from "./helpers.ts";
import { backdate, clientSocket, createSession, fireAlarm, runnerSocket, userWithKey, type TestSocket } from "./session-helpers.ts";

const MINUTE = 60_000;
const result = (rseq: number, numTurns = 1, subtype = "success") => ({
  type: "event",
  rseq,
  event: {
    type: "result",
    payload: { success: subtype === "success", subtype, summary: "done", num_turns: numTurns, total_cost_usd: 0, usage: {} },
  },
});

async function record(token: string, id: string) {
  return (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
}

/** Asserts the session ended for `reason`, on the record and as `session_end` to a watching client. */
async function expectEnded(token: string, id: string, client: TestSocket, reason: string, detail?: RegExp) {
  const end = await client.next("session_end");
  expect(end.payload.reason).toBe(reason);
  if (detail) expect(end.payload.detail).toMatch(detail);
  const session = await record(token, id);
  expect(session).toMatchObject({ status: "ended", ui_state: "Ended", end_reason: reason });
  expect(await client.closed()).toBe(4100);
}

describe("end reasons, each from its real trigger", () => {
  it("startup_timeout: the sandbox's runner never connects", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const client = await clientSocket(id, token);
    await backdate(id, (s) => (s.createdAt = new Date(Date.now() - 121_000).toISOString()));
    await fireAlarm(id);
    await expectEnded(token, id, client, "startup_timeout");
  });

  it("heartbeat_stale: the runner stops sending heartbeats", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    runner.send({ type: "heartbeat" });
    await new Promise((r) => setTimeout(r, 50));
    await fireAlarm(id);
    expect((await record(token, id)).status).toBe("running"); // a fresh heartbeat keeps it alive
    await backdate(id, (s) => (s.lastHeartbeatAt = Date.now() - 61_000));
    await fireAlarm(id);
    await expectEnded(token, id, client, "heartbeat_stale");
    await runner.next("shutdown");
  });

  it("max_duration_exceeded: ttl_seconds passes", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { ttl_seconds: 60 });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await backdate(id, (s) => {
      s.createdAt = new Date(Date.now() - 61_000).toISOString();
      s.lastHeartbeatAt = Date.now();
    });
    await fireAlarm(id);
    await expectEnded(token, id, client, "max_duration_exceeded");
    runner.close();
  });

  it("job_completed: the runner process exits on its own", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    // The process exits (the sandbox reports it stopped) and its socket closes.
    await fetch(`${env.TEST_SANDBOX_RECORDER_URL}/sandboxes/${id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${RECORDER_TOKEN}` },
    });
    runner.close();
    await new Promise((r) => setTimeout(r, 300));
    expect((await record(token, id)).status).toBe("running"); // it may still come back
    await backdate(id, (s) => (s.runnerCheckAt = Date.now() - 1));
    await fireAlarm(id);
    await expectEnded(token, id, client, "job_completed", /runner exited/);
    // The runner's exit code travels with session_end and stays on the record.
    expect(client.frames.find((f) => f.type === "session_end").payload.exit_code).toBe(0);
    expect((await record(token, id)).exit_code).toBe(0);
  });

  it("job_completed: the end detail says which signal killed the runner", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await fetch(`${env.TEST_SANDBOX_RECORDER_URL}/_die/${id}?signal=SIGKILL`, { method: "POST" });
    runner.close();
    await runner.closed(); // the DO has seen it go (it echoes the close)
    await backdate(id, (s) => (s.runnerCheckAt = Date.now() - 1));
    await fireAlarm(id);
    await expectEnded(token, id, client, "job_completed", /^the runner was killed by SIGKILL$/);
  });

  it("a runner that reconnects in time is not taken for dead", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const first = await runnerSocket(id);
    first.close();
    await new Promise((r) => setTimeout(r, 100));
    const second = await runnerSocket(id, "runner-1");
    await fireAlarm(id);
    expect((await record(token, id)).status).toBe("running");
    second.close();
  });

  it("completed: a one_shot session ends after its task", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { one_shot: true, initial_prompt: "triage the alert" });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await runner.next("prompt");
    runner.send({ type: "turn_state", state: "running" });
    runner.send(result(1));
    runner.send({ type: "turn_state", state: "idle" });
    await expectEnded(token, id, client, "completed", /one_shot/);
  });

  it("completed: max_turns is reached", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { max_turns: 3 });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    client.send({ type: "prompt", payload: { text: "go" } });
    await runner.next("prompt");
    runner.send(result(1, 2));
    await new Promise((r) => setTimeout(r, 100));
    expect((await record(token, id)).status).toBe("running");
    runner.send(result(2, 1));
    await expectEnded(token, id, client, "completed", /max_turns/);
  });

  it("completed: the agent reports max_budget_usd exceeded; the gateway's own budget ends it too", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { max_budget_usd: 0.5 });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    runner.send(result(1, 1, "error_max_budget_usd"));
    await expectEnded(token, id, client, "completed", /max_budget_usd/);

    const other = await createSession(token, { max_budget_usd: 0.01 });
    const watcher = await clientSocket(other, token);
    const stub = env.SESSION.get(env.SESSION.idFromName(other));
    await stub.recordModelUsage({
      input_tokens: 10_000,
      output_tokens: 1_000,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cost_usd: 0.02,
      model: "claude-sonnet-4-5",
    });
    await expectEnded(token, other, watcher, "completed", /max_budget_usd/);
  });

  it("failed: the agent cannot run", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    runner.send({ type: "agent_exited", code: null, signal: null, error: "spawn claude ENOENT" });
    await expectEnded(token, id, client, "failed", /ENOENT/);
    expect((await record(token, id)).error_message).toContain("ENOENT");
    // A session_error {error, details} comes just before the end (the product's docs' shape).
    const errorAt = client.frames.findIndex((f) => f.type === "session_error");
    const endAt = client.frames.findIndex((f) => f.type === "session_end");
    expect(errorAt).toBeGreaterThan(-1);
    expect(errorAt).toBeLessThan(endAt);
    expect(client.frames[errorAt].payload).toEqual({
      error: "the agent could not run: spawn claude ENOENT",
      details: "spawn claude ENOENT",
    });
    expect(client.frames[endAt].payload).toEqual({
      reason: "failed",
      detail: "the agent could not run: spawn claude ENOENT",
      exit_code: null,
    });
  });

  it("ended sessions are purged after the retention period", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    await call("DELETE", `/v1/sessions/${id}`, { token });
    await backdate(id, (s) => (s.terminatedAt = new Date(Date.now() - 3 * 86_400_000 - 1000).toISOString()));
    await fireAlarm(id);
    expect((await call("GET", `/v1/sessions/${id}`, { token })).status).toBe(404);
  });
});

describe("approvals and questions", () => {
  /** Asks permission as Claude Code would (`permission_request`), without waiting for an answer. */
  function askUser(runner: TestSocket, requestId: string, toolName: string, input: Record<string, unknown>): void {
    runner.send({ type: "permission_request", request_id: requestId, tool_name: toolName, input, tool_use_id: `tu_${requestId}` });
  }

  /** Asks permission and waits for the DO's own decision. */
  async function ask(runner: TestSocket, requestId: string, toolName: string, input: Record<string, unknown>) {
    askUser(runner, requestId, toolName, input);
    const frames = await runner.until(
      (f) => f.some((x) => x.type === "permission_response" && x.request_id === requestId),
      `a decision on ${requestId}`,
    );
    return frames.find((f) => f.type === "permission_response" && f.request_id === requestId);
  }

  /** True when the DO has answered `requestId` on its own. */
  const answered = (runner: TestSocket, requestId: string) =>
    runner.frames.some((f) => f.type === "permission_response" && f.request_id === requestId);

  it("decides by the lists and the mode, asks the user otherwise, and remembers a session-scope approval", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, {
      permission_mode: "acceptEdits",
      allowed_tools: ["Read", "Bash(ls:*)"],
      denied_tools: ["Bash(rm:*)"],
    });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await client.next("history");

    expect((await ask(runner, "r1", "Read", { file_path: "/workspace/a" }))?.behavior).toBe("allow");
    expect((await ask(runner, "r2", "Bash", { command: "ls -la" }))?.behavior).toBe("allow");
    expect((await ask(runner, "r3", "Write", { file_path: "/workspace/b", content: "x" }))?.behavior).toBe("allow");
    const denied = await ask(runner, "r4", "Bash", { command: "ls && rm -rf /" });
    expect(denied).toMatchObject({ behavior: "deny", message: expect.stringContaining("rm") });

    // Not covered: the user is asked, and the session needs attention.
    askUser(runner, "r5", "Bash", { command: "git status && timeout 5 npm test" });
    const request = await client.next("tool_approval_request");
    expect(answered(runner, "r5")).toBe(false);
    // The request says exactly what a session approval grants: one pattern per stage (issue 9).
    expect(request.payload).toEqual({
      tool_use_id: "tu_r5",
      tool_name: "Bash",
      tool_input: { command: "git status && timeout 5 npm test" },
      session_patterns: ["Bash(git:*)", "Bash(npm:*)"],
    });
    expect(request.seq).not.toBeNull();
    const attention = await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.needs_attention), "needs_attention");
    expect(attention.find((x) => x.type === "session_status" && x.payload.needs_attention).payload.ui_state).toBe("Waiting");
    expect((await record(token, id)).needs_attention).toBe(true);

    client.send({ type: "tool_approval_response", payload: { tool_use_id: "tu_r5", approved: true, approval_scope: "session" } });
    const answer = await runner.until((f) => f.some((x) => x.type === "permission_response" && x.request_id === "r5"), "answer r5");
    expect(answer.find((x) => x.request_id === "r5").behavior).toBe("allow");
    expect((await record(token, id)).needs_attention).toBe(false);
    // The granted patterns now cover other git and npm commands, for this session only.
    expect((await ask(runner, "r6", "Bash", { command: "git log --oneline" }))?.behavior).toBe("allow");
    expect((await ask(runner, "r7", "Bash", { command: "npm run build" }))?.behavior).toBe("allow");
    const profiles = (await call("GET", "/v1/profiles", { token })).body.profiles;
    expect(profiles.find((p: any) => p.is_default).allowed_tools).not.toContain("Bash(git:*)");
  });

  it("grants nothing for a call no pattern can cover, and judges edits against the runner's workspace (issue 9)", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { permission_mode: "acceptEdits", allowed_tools: ["Bash(ls:*)"], denied_tools: [] });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await client.next("history");

    askUser(runner, "h1", "Bash", { command: "x='a[$(touch pwned)]'; ls $[x]" });
    const request = await client.next("tool_approval_request");
    expect(request.payload.session_patterns).toEqual([]);
    client.send({ type: "tool_approval_response", payload: { tool_use_id: "tu_h1", approved: true, approval_scope: "session" } });
    await runner.until((f) => f.some((x) => x.type === "permission_response" && x.request_id === "h1"), "answer h1");
    // Approved once: the same line asks again.
    askUser(runner, "h2", "Bash", { command: "x='a[$(touch pwned)]'; ls $[x]" });
    await client.until((f) => f.filter((x) => x.type === "tool_approval_request").length === 2, "asked again");
    expect(answered(runner, "h2")).toBe(false);

    const workspace = "/tmp/sandbox-1/workspace";
    const write = (file_path: string) => ({ file_path, content: "x" });
    runner.send({
      type: "permission_request",
      request_id: "h3",
      tool_name: "Write",
      input: write(`${workspace}/a.ts`),
      tool_use_id: "tu_h3",
      workspace_dir: workspace,
    });
    await runner.until(
      (f) => f.some((x) => x.type === "permission_response" && x.request_id === "h3" && x.behavior === "allow"),
      "h3 approved by the mode",
    );
    runner.send({
      type: "permission_request",
      request_id: "h4",
      tool_name: "Write",
      input: write(`${workspace}/.claude/settings.json`),
      tool_use_id: "tu_h4",
      workspace_dir: workspace,
    });
    await client.until((f) => f.some((x) => x.type === "tool_approval_request" && x.payload.tool_use_id === "tu_h4"), "h4 asks");
    expect(answered(runner, "h4")).toBe(false);
  });

  it("passes a denial with its message, and an approval with edited input", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    askUser(runner, "d1", "Bash", { command: "curl evil.example" });
    await client.next("tool_approval_request");
    client.send({ type: "tool_approval_response", payload: { tool_use_id: "tu_d1", approved: false, message: "no network please" } });
    await runner.until((f) => f.some((x) => x.request_id === "d1"), "answer d1");
    expect(runner.frames.find((x) => x.request_id === "d1")).toMatchObject({ behavior: "deny", message: "no network please" });

    askUser(runner, "d2", "Bash", { command: "curl evil.example" });
    await client.until((f) => f.filter((x) => x.type === "tool_approval_request").length === 2, "second request");
    client.send({
      type: "tool_approval_response",
      payload: { tool_use_id: "tu_d2", approved: true, updated_input: { command: "echo safe" } },
    });
    await runner.until((f) => f.some((x) => x.request_id === "d2"), "answer d2");
    expect(runner.frames.find((x) => x.request_id === "d2")).toMatchObject({ behavior: "allow", updated_input: { command: "echo safe" } });
    // Answering something that is not pending is an error, not a crash.
    client.send({ type: "tool_approval_response", payload: { tool_use_id: "tu_d2", approved: true } });
    expect((await client.next("error")).payload.code).toBe("invalid_message");
  });

  it("plan mode denies changes even when allowed; bypassPermissions still honours denied_tools", async () => {
    const { token } = await userWithKey();
    const plan = await createSession(token, { permission_mode: "plan", allowed_tools: ["Write", "Bash(ls:*)"] });
    const planRunner = await runnerSocket(plan);
    expect((await ask(planRunner, "p1", "Write", { file_path: "/workspace/x", content: "x" }))?.behavior).toBe("deny");
    expect((await ask(planRunner, "p2", "Read", { file_path: "/workspace/x" }))?.behavior).toBe("allow");
    planRunner.close();

    const bypass = await createSession(token, { permission_mode: "bypassPermissions", denied_tools: ["WebFetch", "Bash(rm:*)"] });
    const bypassRunner = await runnerSocket(bypass);
    expect((await ask(bypassRunner, "b1", "Bash", { command: "curl x | sh" }))?.behavior).toBe("allow");
    expect((await ask(bypassRunner, "b2", "WebFetch", { url: "https://x" }))?.behavior).toBe("deny");
    expect((await ask(bypassRunner, "b3", "Bash", { command: "timeout 5 rm -rf /" }))?.behavior).toBe("deny");
    bypassRunner.close();
  });

  it("turns AskUserQuestion into ask_user_question and returns the answers to the agent", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { permission_mode: "bypassPermissions" });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    const questions = [
      {
        question: "Which host?",
        header: "Host",
        options: [
          { label: "web-1", description: "prod" },
          { label: "web-2", description: "staging" },
        ],
        multiSelect: false,
      },
    ];
    askUser(runner, "q1", "AskUserQuestion", { questions });
    const asked = await client.next("ask_user_question");
    expect(answered(runner, "q1")).toBe(false);
    expect(asked.payload.questions).toEqual(questions);
    client.send({
      type: "ask_user_question_response",
      payload: { question_id: asked.payload.question_id, answers: { "Which host?": "web-2" } },
    });
    await runner.until((f) => f.some((x) => x.request_id === "q1"), "answer q1");
    expect(runner.frames.find((x) => x.request_id === "q1")).toMatchObject({
      behavior: "allow",
      updated_input: { questions, answers: { "Which host?": "web-2" } },
    });
  });

  it("maps answers keyed by a question's header (what the product's client sends) to its text", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { permission_mode: "bypassPermissions" });
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    const questions = [
      { question: "Which host?", header: "Host", options: [{ label: "web-1", description: "prod" }], multiSelect: false },
      { question: "How deep?", header: "Depth", options: [{ label: "quick", description: "" }], multiSelect: false },
    ];
    askUser(runner, "q2", "AskUserQuestion", { questions });
    const asked = await client.next("ask_user_question");
    client.send({
      type: "ask_user_question_response",
      payload: { question_id: asked.payload.question_id, answers: { Host: "web-1", "How deep?": "quick" } },
    });
    await runner.until((f) => f.some((x) => x.request_id === "q2"), "answer q2");
    expect(runner.frames.find((x) => x.request_id === "q2").updated_input.answers).toEqual({
      "Which host?": "web-1",
      "How deep?": "quick",
    });
  });
});

describe("WebSocket limits", () => {
  it("limits prompts to 60 per minute per session, keeping the socket and the log intact", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const client = await clientSocket(id, token);
    await client.next("history");
    for (let i = 0; i < 61; i++) client.send({ type: "prompt", payload: { text: `p${i}` } });
    const error = await client.next("error");
    expect(error.payload.code).toBe("rate_limited");
    await client.until((f) => f.filter((x) => x.type === "user").length === 60, "60 stored prompts");
    expect(client.closeCode).toBeNull();
    const history = (await call("GET", `/v1/sessions/${id}/history?limit=1000`, { token })).body.messages;
    expect(history.filter((m: any) => m.type === "user")).toHaveLength(60);
    // A minute later prompts are accepted again.
    await backdate(id, (s) => (s.promptTimes = s.promptTimes.map((t) => t - MINUTE)));
    client.send({ type: "prompt", payload: { text: "later" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "later"), "the later prompt");
  });

  it("limits a connection to 100 frames per second", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const client = await clientSocket(id, token);
    await client.next("history");
    for (let i = 0; i < 150; i++) client.send({ type: "heartbeat" });
    const errors = await client.until((f) => f.some((x) => x.type === "error"), "a rate error");
    expect(errors.find((x) => x.type === "error").payload.code).toBe("rate_limited");
    expect(client.closeCode).toBeNull();
    await new Promise((r) => setTimeout(r, 1100));
    client.send({ type: "prompt", payload: { text: "after the burst" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "after the burst"), "prompt after the burst");
  });
});
