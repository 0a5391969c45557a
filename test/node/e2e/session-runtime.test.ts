/**
 * Issue acceptance, end to end: a real Claude Code agent, driven by the scripted model, in a
 * session of the platform running under wrangler dev, watched by real WebSocket clients.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, E2E_API_KEY, api, hasResult, readyUser, bootE2E, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E()), 120_000);
afterAll(async () => platform?.stop());

/** Creates a session where every tool runs without asking (the Full Permissions behaviour). */
async function newSession(extra: Record<string, unknown> = {}): Promise<string> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions", ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.session.id;
}

const workspace = (sessionId: string) => path.join(platform.sandbox.root, sessionId, "workspace");

describe("a session with a real Claude Code agent", () => {
  it("streams one turn to two clients in the same seq order, and the tool's file lands in this session's workspace only", async () => {
    const id = await newSession();
    const other = await newSession();
    const a = await Client.connect(platform.baseUrl, token, id);
    const b = await Client.connect(platform.baseUrl, token, id);
    await a.until((f) => f.some((x) => x.type === "history"), "history");

    a.send({ type: "prompt", payload: { text: '[[scenario:bash command="echo hello from the agent > proof.txt && cat proof.txt"]]' } });
    await a.until(hasResult(), "result on a");
    await b.until(hasResult(), "result on b");

    const types = a.stored().map((f) => f.type);
    for (const type of ["user", "assistant", "tool_use", "tool_result", "result"]) expect(types).toContain(type);
    expect(types.indexOf("tool_use")).toBeLessThan(types.indexOf("tool_result"));
    expect(types.indexOf("tool_result")).toBeLessThan(types.indexOf("result"));
    // Each client's view from seq 1: its history frame, then what came live. Where one event falls
    // (history or live) depends on when each socket connected: the session starts meanwhile.
    const order = (c: Client) =>
      [...(c.frames.find((f) => f.type === "history")?.payload.messages ?? []), ...c.stored()].map((f) => `${f.seq}:${f.type}`);
    expect(order(b).slice(0, order(a).length)).toEqual(order(a).slice(0, order(b).length));
    const seqs = a.stored().map((f) => f.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);

    const toolResult = a.stored().find((f) => f.type === "tool_result");
    expect(JSON.stringify(toolResult.payload.content)).toContain("hello from the agent");
    expect(a.stored().find((f) => f.type === "result").payload.success).toBe(true);
    expect(readFileSync(path.join(workspace(id), "proof.txt"), "utf8")).toBe("hello from the agent\n");
    expect(existsSync(path.join(workspace(other), "proof.txt"))).toBe(false);
    a.close();
    b.close();
  });

  it("a client that drops mid-turn and resumes with after_seq gets every missed event exactly once", async () => {
    const id = await newSession();
    const watcher = await Client.connect(platform.baseUrl, token, id);
    const flaky = await Client.connect(platform.baseUrl, token, id);
    await flaky.until((f) => f.some((x) => x.type === "history"), "history");
    flaky.send({ type: "prompt", payload: { text: "[[scenario:multi rounds=4]]" } });
    await flaky.until((f) => f.some((x) => x.type === "tool_use"), "first tool_use");
    const lastSeen = Math.max(...flaky.stored().map((f) => f.seq));
    flaky.kill();

    await watcher.until(hasResult(), "result on the watcher");
    await watcher.until(
      (f) => f.some((x) => x.type === "session_status" && x.payload.ui_state === "Waiting" && x.seq > lastSeen),
      "the turn to settle",
    );
    const resumed = await Client.connect(platform.baseUrl, token, id, `&after_seq=${lastSeen}`);
    const all = watcher.stored();
    const expected = all.filter((f) => f.seq > lastSeen);
    await resumed.until((f) => f.filter((x) => x.seq !== null).length >= expected.length, "the missed events");
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.frames.some((f) => f.type === "history")).toBe(false);
    // Exactly the missed events, each once, identical to what the watcher saw live.
    expect(resumed.stored().map((f) => [f.seq, f.type])).toEqual(
      watcher
        .stored()
        .filter((f) => f.seq > lastSeen)
        .map((f) => [f.seq, f.type]),
    );
    expect(resumed.stored().filter((f) => f.type === "tool_result").length).toBe(4);

    const fresh = await Client.connect(platform.baseUrl, token, id);
    await fresh.until((f) => f.length > 0, "first frame");
    expect(fresh.frames[0].type).toBe("history");
    const historySeqs = fresh.frames[0].payload.messages.map((m: any) => m.seq);
    expect(historySeqs).toEqual(Array.from({ length: historySeqs.length }, (_, i) => i + 1));
    expect(historySeqs.at(-1)).toBeGreaterThanOrEqual(all.at(-1).seq);
    for (const c of [watcher, resumed, fresh]) c.close();
  });

  it("two prompts share one conversation", async () => {
    const id = await newSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    client.send({ type: "prompt", payload: { text: "My favourite colour is teal. [[scenario:text text=noted]]" } });
    await client.until(hasResult(), "first result");
    const before = client.stored().length;
    client.send({ type: "prompt", payload: { text: "What did I say? [[scenario:recall]]" } });
    await client.until(hasResult(before), "second result");
    const answer = client
      .stored()
      .slice(before)
      .find((f) => f.type === "assistant");
    expect(JSON.stringify(answer.payload.content)).toContain("favourite colour is teal");
    client.close();
  });

  it("the sandbox holds no Anthropic credential and no gateway token, yet the model receives the user's key through the gateway", async () => {
    const id = await newSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    client.send({ type: "prompt", payload: { text: '[[scenario:bash command="env > env.txt"]]' } });
    await client.until(hasResult(), "result");
    const env = readFileSync(path.join(workspace(id), "env.txt"), "utf8");
    // Claude Code talks to the runner's loopback proxy, which alone holds the gateway token.
    expect(env).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(env).not.toContain("sk-ant-");
    expect(env).not.toContain("gt_");
    expect(env).not.toContain("GATEWAY_");
    const keysSeen = new Set(platform.modelServer!.requests.map((r) => r.apiKey));
    expect(keysSeen.has(E2E_API_KEY)).toBe(true);
    for (const key of keysSeen) expect(key).not.toMatch(/^gt_/);

    // What the agent could copy out of the sandbox is worthless at the gateway, while the session lives.
    const agentCredential = /^ANTHROPIC_AUTH_TOKEN=(.*)$/m.exec(env)?.[1];
    expect(agentCredential).toBeTruthy();
    const url = `${platform.baseUrl}/v1/gateway/sessions/${id}/v1/messages`;
    const body = JSON.stringify({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const before = platform.modelServer!.requests.length;
    const attempts: Record<string, string>[] = [
      { authorization: `Bearer ${agentCredential}` },
      { "x-api-key": agentCredential! },
      { authorization: "Bearer gt_wrong" },
    ];
    for (const headers of attempts) {
      const replayed = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
      expect(replayed.status, JSON.stringify(headers)).toBe(401);
      expect(((await replayed.json()) as any).error.type).toBe("authentication_error");
    }
    expect(platform.modelServer!.requests.length).toBe(before);

    // And the session still works: a second turn goes through the proxy and is metered.
    const seen = client.stored().length;
    client.send({ type: "prompt", payload: { text: "[[scenario:text text=still-served]]" } });
    await client.until(hasResult(seen), "second result");
    expect(JSON.stringify(client.stored().slice(seen))).toContain("still-served");
    const usage = (await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session.usage;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    client.close();
  });

  it("DELETE stops the runner process and ends the session with user_requested; strangers get 404 and 403", async () => {
    const id = await newSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    client.send({ type: "prompt", payload: { text: "[[scenario:text text=ready]]" } });
    await client.until(hasResult(), "result");
    const sandbox = async (): Promise<any> =>
      (await fetch(`${platform.sandbox.url}/sandboxes/${id}`, { headers: { authorization: `Bearer ${platform.sandbox.token}` } })).json();
    expect((await sandbox()).running).toBe(true);

    const stranger = await readyUser(platform.baseUrl);
    expect((await api(platform.baseUrl, stranger, "GET", `/v1/sessions/${id}`)).status).toBe(404);
    expect((await api(platform.baseUrl, stranger, "DELETE", `/v1/sessions/${id}`)).status).toBe(404);
    await expect(Client.connect(platform.baseUrl, stranger, id)).rejects.toThrow("403");

    expect((await api(platform.baseUrl, token, "DELETE", `/v1/sessions/${id}`)).body).toEqual({ terminated: true });
    await client.until((f) => f.some((x) => x.type === "session_end"), "session_end");
    expect(client.frames.find((f) => f.type === "session_end").payload.reason).toBe("user_requested");
    await client.until(() => client.closeCode !== null, "close");
    expect(client.closeCode).toBe(4100);
    const deadline = Date.now() + 10_000;
    while ((await sandbox()).running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await sandbox()).running).toBe(false);
    expect((await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session).toMatchObject({
      status: "ended",
      end_reason: "user_requested",
    });

    // A socket opened on the ended session gets its history and end, then its connection ends
    // with the closing handshake, not when workerd evicts the object (10 s or more later).
    const late = await Client.connect(platform.baseUrl, token, id);
    await late.until(() => late.closeCode !== null, "the ended session's socket to close", 5_000);
    expect(late.closeCode).toBe(4100);
    expect(late.frames.map((f) => f.type)).toEqual(["history", "session_end"]);
  });
});
