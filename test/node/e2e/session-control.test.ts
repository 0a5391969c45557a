/**
 * Control, end to end with the real Claude Code binary: permission decisions reach the agent,
 * approvals travel through the clients, interrupts keep the conversation, and a killed
 * runner ends the session.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, api, hasResult, bootE2E, type E2EPlatform } from "./platform-harness.ts";
import { runnerPidsOf } from "./session-processes.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E()), 120_000);
afterAll(async () => platform?.stop());

async function session(settings: Record<string, unknown>): Promise<{ id: string; client: Client }> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", settings);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.session.id as string;
  return { id, client: await Client.connect(platform.baseUrl, token, id) };
}

const file = (id: string, name: string) => path.join(platform.sandbox.root, id, "workspace", name);
const approvals = (c: Client) => c.stored().filter((f) => f.type === "tool_approval_request");

describe("tool permissions with a real agent", () => {
  it("acceptEdits: Write runs, Bash asks; a session-scope approval stops further asks for that pattern", async () => {
    const { id, client } = await session({ permission_mode: "acceptEdits", allowed_tools: [] });
    client.send({ type: "prompt", payload: { text: '[[scenario:write path=notes.txt content="written without asking"]]' } });
    await client.until(hasResult(), "write result");
    expect(approvals(client)).toHaveLength(0);
    expect(readFileSync(file(id, "notes.txt"), "utf8")).toBe("written without asking");

    let from = client.stored().length;
    client.send({ type: "prompt", payload: { text: '[[scenario:bash command="echo first > asked.txt"]]' } });
    await client.until((f) => approvals(client).length === 1, "an approval request");
    expect(existsSync(file(id, "asked.txt"))).toBe(false); // nothing ran before the answer
    const request = approvals(client)[0];
    expect(request.payload.tool_name).toBe("Bash");
    client.send({
      type: "tool_approval_response",
      payload: { tool_use_id: request.payload.tool_use_id, approved: true, approval_scope: "session" },
    });
    await client.until(hasResult(from), "bash result");
    expect(readFileSync(file(id, "asked.txt"), "utf8")).toBe("first\n");

    from = client.stored().length;
    client.send({ type: "prompt", payload: { text: '[[scenario:bash command="echo second > again.txt"]]' } });
    await client.until(hasResult(from), "second bash result");
    expect(approvals(client)).toHaveLength(1);
    expect(readFileSync(file(id, "again.txt"), "utf8")).toBe("second\n");
    client.close();
  });

  it("an allowed tool runs without asking; a denied one never runs, also in bypassPermissions", async () => {
    const allowed = await session({ permission_mode: "acceptEdits", allowed_tools: ["Bash(touch:*)"] });
    allowed.client.send({ type: "prompt", payload: { text: '[[scenario:bash command="touch allowed.txt"]]' } });
    await allowed.client.until(hasResult(), "result");
    expect(approvals(allowed.client)).toHaveLength(0);
    expect(existsSync(file(allowed.id, "allowed.txt"))).toBe(true);

    const denied = await session({ permission_mode: "bypassPermissions", denied_tools: ["Bash(touch:*)", "Write"] });
    denied.client.send({ type: "prompt", payload: { text: '[[scenario:bash command="touch denied.txt"]]' } });
    await denied.client.until(hasResult(), "bash result");
    const from = denied.client.stored().length;
    denied.client.send({ type: "prompt", payload: { text: '[[scenario:write path=denied.md content="no"]]' } });
    await denied.client.until(hasResult(from), "write result");
    expect(existsSync(file(denied.id, "denied.txt"))).toBe(false);
    expect(existsSync(file(denied.id, "denied.md"))).toBe(false);
    const results = denied.client.stored().filter((f) => f.type === "tool_result");
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results.every((r) => r.payload.is_error)).toBe(true);
    expect(approvals(denied.client)).toHaveLength(0);
    allowed.client.close();
    denied.client.close();
  });

  it("plan mode changes nothing on disk", async () => {
    const { id, client } = await session({ permission_mode: "plan", allowed_tools: ["Write", "Bash(touch:*)"] });
    client.send({ type: "prompt", payload: { text: '[[scenario:write path=plan.txt content="should not exist"]]' } });
    await client.until(hasResult(), "write result");
    const from = client.stored().length;
    client.send({ type: "prompt", payload: { text: '[[scenario:bash command="touch plan-bash.txt"]]' } });
    await client.until(hasResult(from), "bash result");
    expect(readdirSync(path.join(platform.sandbox.root, id, "workspace"))).toEqual([]);
    client.close();
  });

  it("AskUserQuestion reaches the user and the answer reaches the agent", async () => {
    const { client } = await session({ permission_mode: "bypassPermissions" });
    client.send({ type: "prompt", payload: { text: '[[scenario:ask question="Which host first?" options="web-1|web-2"]]' } });
    await client.until((f) => f.some((x) => x.type === "ask_user_question"), "the question");
    const asked = client.stored().find((f) => f.type === "ask_user_question");
    expect(asked.payload.questions[0].question).toBe("Which host first?");
    expect(asked.payload.questions[0].options.map((o: any) => o.label)).toEqual(["web-1", "web-2"]);
    client.send({
      type: "ask_user_question_response",
      payload: { question_id: asked.payload.question_id, answers: { "Which host first?": "web-2" } },
    });
    await client.until(hasResult(), "result");
    const text = client
      .stored()
      .filter((f) => f.type === "assistant")
      .map((f) => JSON.stringify(f.payload.content))
      .join(" ");
    expect(text).toContain("web-2");
    client.close();
  });
});

describe("turn control with a real agent", () => {
  it("interrupt stops a running tool; the next prompt continues the same conversation", async () => {
    const { id, client } = await session({ permission_mode: "bypassPermissions" });
    client.send({ type: "prompt", payload: { text: 'Start the slow job. [[scenario:bash command="sleep 4 && touch late.txt"]]' } });
    await client.until((f) => f.some((x) => x.type === "tool_use"), "the tool call");
    const toolStarted = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    client.send({ type: "interrupt" });
    await client.until(hasResult(), "the interrupted turn's result");
    await client.until(
      (f) =>
        f.some(
          (x) => x.type === "session_status" && x.payload.ui_state === "Waiting" && x.seq > f.find((y: any) => y.type === "result").seq,
        ),
      "idle",
    );
    const from = client.stored().length;
    client.send({ type: "prompt", payload: { text: "What did I ask? [[scenario:recall]]" } });
    await client.until(hasResult(from), "the next turn");
    const recall = client
      .stored()
      .slice(from)
      .filter((f) => f.type === "assistant")
      .map((f) => JSON.stringify(f.payload.content))
      .join(" ");
    expect(recall).toContain("Start the slow job");
    // A tool that kept running would write late.txt 4 s after it started: wait past that.
    await new Promise((r) => setTimeout(r, Math.max(0, toolStarted + 5_500 - Date.now())));
    expect(existsSync(file(id, "late.txt"))).toBe(false);
    client.close();
  });

  it("a prompt sent during a turn is queued and runs next, in order", async () => {
    const { client } = await session({ permission_mode: "bypassPermissions" });
    client.send({ type: "prompt", payload: { text: "[[scenario:slow chunks=8 delay=100]]" } });
    await client.until(
      (f) => f.some((x) => x.type === "session_status" && x.payload.ui_state === "Running" && x.payload.status === "running"),
      "running",
    );
    client.send({ type: "prompt", payload: { text: "second [[scenario:text text=second-answer]]" } });
    await client.until((f) => f.some((x) => x.type === "system" && x.payload.subtype === "message_queued"), "message_queued");
    await client.until((f) => f.filter((x) => x.type === "result").length === 2, "two results");
    const texts = client
      .stored()
      .filter((f) => f.type === "assistant")
      .map((f) => JSON.stringify(f.payload.content));
    expect(texts.at(-1)).toContain("second-answer");
    client.close();
  });
});

describe("end reasons with a real runner", () => {
  it("job_completed: killing the runner process ends the session", async () => {
    const { id, client } = await session({ permission_mode: "bypassPermissions" });
    client.send({ type: "prompt", payload: { text: "[[scenario:text text=up]]" } });
    await client.until(hasResult(), "result");
    const runners = runnerPidsOf(id);
    expect(runners.length).toBe(1);
    process.kill(runners[0]!, "SIGKILL");
    await client.until((f) => f.some((x) => x.type === "session_end"), "session_end", 30_000);
    expect(client.stored().find((f) => f.type === "session_end").payload.reason).toBe("job_completed");
    const record = (await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session;
    expect(record).toMatchObject({ status: "ended", end_reason: "job_completed" });
  });
});
