import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, registeredUser } from "./helpers.ts";
import { type TestSocket, clientSocket, createSession, openSocket, recordedSandbox, runnerSocket, userWithKey } from "./session-helpers.ts";

/** An agent event frame as the runner pushes it. */
const agentEvent = (rseq: number, type: string, payload: unknown) => ({ type: "event", rseq, event: { type, payload } });

describe("session lifecycle over REST", () => {
  it("creates a session from the default profile with overrides, and starts its sandbox without any Anthropic credential", async () => {
    const { token } = await userWithKey();
    const created = await call("POST", "/v1/sessions", { token, body: { name: "triage", max_turns: 7, denied_tools: ["WebFetch"] } });
    expect(created.status).toBe(201);
    const session = created.body.session;
    expect(session).toMatchObject({
      name: "triage",
      status: "starting",
      ui_state: "Running",
      needs_attention: false,
      dormant: false,
      end_reason: null,
    });
    expect(session.profile).toMatchObject({
      permission_mode: "acceptEdits",
      max_turns: 7,
      denied_tools: ["WebFetch"],
      allowed_tools: expect.arrayContaining(["Read"]),
    });

    const sandbox = await recordedSandbox(session.id);
    expect(sandbox.env.SESSION_ID).toBe(session.id);
    // The gateway's address and token are the runner's (its loopback proxy), not Claude Code's variables.
    expect(sandbox.env.GATEWAY_URL).toBe(`http://platform.test/v1/gateway/sessions/${session.id}`);
    expect(sandbox.env.GATEWAY_TOKEN).toMatch(/^gt_/);
    expect(sandbox.env.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(sandbox.env.ANTHROPIC_AUTH_TOKEN).toBeUndefined();
    expect(sandbox.env.RUNNER_TOKEN).toMatch(/^rt_/);
    expect(JSON.stringify(sandbox.env)).not.toContain("sk-ant-");
  });

  it("refuses to create without a credential, with an unknown profile or plugin", async () => {
    const { token } = await registeredUser();
    const none = await call("POST", "/v1/sessions", { token, body: {} });
    expect(none.status).toBe(403);
    expect(none.body.error).toBe("no_credentials");
    const { token: keyed } = await userWithKey();
    expect((await call("POST", "/v1/sessions", { token: keyed, body: { profile_id: "nope" } })).body.error).toBe("profile_not_found");
    expect((await call("POST", "/v1/sessions", { token: keyed, body: { plugins: ["mystery"] } })).body.error).toBe("unknown_plugin");
    expect((await call("POST", "/v1/sessions", { token: keyed, body: { ttl_seconds: 90_000 } })).status).toBe(400);
  });

  it("returns the live session for a repeated idempotent_key", async () => {
    const { token } = await userWithKey();
    const first = await createSession(token, { idempotent_key: "alert-42" });
    const again = await call("POST", "/v1/sessions", { token, body: { idempotent_key: "alert-42" } });
    expect(again.status).toBe(200);
    expect(again.body.session.id).toBe(first);
    expect((await call("GET", "/v1/sessions", { token })).body.sessions).toHaveLength(1);
  });

  it("allows 10 live sessions: the 11th is 409 even when creates race, and ending one frees a slot", async () => {
    const { token } = await userWithKey();
    const answers = await Promise.all(Array.from({ length: 11 }, () => call("POST", "/v1/sessions", { token, body: {} })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10);
    const refused = answers.find((a) => a.status === 409)!;
    expect(refused.body.error).toBe("max_concurrent_sessions");
    const victim = answers.find((a) => a.status === 201)!.body.session.id;
    expect((await call("DELETE", `/v1/sessions/${victim}`, { token })).body).toEqual({ terminated: true });
    // The slot is free again, but this minute's 10 creations are used up: 429, not 409.
    const limited = await call("POST", "/v1/sessions", { token, body: {} });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe("rate_limited");
  });

  it("lists sessions newest first with cursor paging and a status filter", async () => {
    const { token } = await userWithKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createSession(token, { name: `s${i}` }));
    await call("DELETE", `/v1/sessions/${ids[0]}`, { token });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call("GET", `/v1/sessions?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(page.status).toBe(200);
      expect(page.body.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.sessions.map((s: any) => s.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const ended = await call("GET", "/v1/sessions?status=ended", { token });
    expect(ended.body.sessions.map((s: any) => [s.id, s.end_reason])).toEqual([[ids[0], "user_requested"]]);
    expect((await call("GET", "/v1/sessions?limit=500", { token })).status).toBe(400);
    expect((await call("GET", "/v1/sessions?cursor=garbage", { token })).status).toBe(400);
  });

  it("hides sessions from other users: REST is 404, the WebSocket upgrade is 403", async () => {
    const alice = await userWithKey();
    const bob = await userWithKey();
    const id = await createSession(alice.token);
    for (const [method, path] of [
      ["GET", `/v1/sessions/${id}`],
      ["DELETE", `/v1/sessions/${id}`],
      ["GET", `/v1/sessions/${id}/history`],
      ["DELETE", `/v1/sessions/${id}/record`],
    ] as const) {
      expect((await call(method, path, { token: bob.token })).status, `${method} ${path}`).toBe(404);
    }
    const upgrade = await openSocket(`/v1/ws/sessions/${id}?token=${bob.token}`);
    expect(upgrade).toBeInstanceOf(Response);
    expect((upgrade as Response).status).toBe(403);
    expect((await call("GET", `/v1/sessions/${id}`, { token: alice.token })).body.session.status).toBe("starting");
    const unknown = await openSocket(`/v1/ws/sessions/unknown-session?token=${alice.token}`);
    expect((unknown as Response).status).toBe(404);
    const anonymous = await openSocket(`/v1/ws/sessions/${id}`);
    expect((anonymous as Response).status).toBe(401);
  });

  it("refuses a runner without the sandbox's token", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    await recordedSandbox(id);
    const wrong = await openSocket(`/v1/runner/sessions/${id}/ws`, { authorization: "Bearer rt_forged" });
    expect((wrong as Response).status).toBe(401);
    const userToken = await openSocket(`/v1/runner/sessions/${id}/ws`, { authorization: `Bearer ${token}` });
    expect((userToken as Response).status).toBe(401);
  });
});

describe("the session WebSocket", () => {
  it("relays a prompt to the runner and the agent's events to every client, stored with gap-free seq", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const a = await clientSocket(id, token);
    const b = await clientSocket(id, token);
    const history = await a.next("history");
    expect(history.seq).toBeNull();
    expect(history.payload.messages[0]).toMatchObject({ type: "session_status", seq: 1 });

    a.send({ type: "prompt", payload: { text: "list the files" } });
    const prompt = await runner.next("prompt");
    expect(prompt.text).toBe("list the files");
    runner.send({ type: "turn_state", state: "running" });
    runner.send(agentEvent(1, "assistant", { content: [{ type: "text", text: "Looking." }], model: "m" }));
    runner.send(agentEvent(2, "tool_use", { id: "tu1", name: "Bash", input: { command: "ls" } }));
    runner.send(agentEvent(2, "tool_use", { id: "tu1", name: "Bash", input: { command: "ls" } })); // a replay after reconnect
    runner.send(agentEvent(3, "tool_result", { tool_use_id: "tu1", content: "a.txt", is_error: false }));
    runner.send(
      agentEvent(4, "result", { success: true, subtype: "success", summary: "one file", num_turns: 2, total_cost_usd: 0.01, usage: {} }),
    );
    runner.send({ type: "turn_state", state: "idle" });
    await runner.until((f) => f.some((x) => x.type === "ack" && x.rseq === 4), "ack 4");

    const wanted = ["user", "assistant", "tool_use", "tool_result", "result"];
    const live = (s: TestSocket) => s.frames.filter((f) => f.seq !== null && wanted.includes(f.type));
    await a.until(() => live(a).length >= 5, "5 live events");
    await b.until(() => live(b).length >= 5, "5 live events");
    await new Promise((r) => setTimeout(r, 100));
    expect(live(a).map((f) => f.type)).toEqual(wanted);
    const seqsA = a.frames.filter((f) => f.seq !== null).map((f) => f.seq);
    const seqsB = b.frames.filter((f) => f.seq !== null).map((f) => f.seq);
    expect(seqsA).toEqual(seqsB);
    for (let i = 1; i < seqsA.length; i++) expect(seqsA[i]).toBe(seqsA[i - 1] + 1);
    expect(live(a)[0].payload).toEqual({ content: "list the files" });

    const record = (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
    expect(record).toMatchObject({ status: "running", ui_state: "Waiting", usage: { turns: 2 } });
    const stored = (await call("GET", `/v1/sessions/${id}/history?after_seq=0&limit=1000`, { token })).body.messages;
    expect(stored.map((m: any) => m.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    expect(stored.map((m: any) => m.seq).slice(-seqsA.length)).toEqual(seqsA);
    a.close();
    b.close();
    runner.close();
  });

  it("the record carries the fields the product's client reads: started_at, top-level tools, initial_prompt, exit_code, region, lc_auth_type", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, {
      initial_prompt: "list the files",
      allowed_tools: ["Read", "Bash(ls:*)"],
      denied_tools: ["WebFetch"],
    });
    const record = (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
    expect(record).toMatchObject({
      initial_prompt: "list the files",
      allowed_tools: ["Read", "Bash(ls:*)"],
      denied_tools: ["WebFetch"],
      exit_code: null,
      region: "local",
      lc_auth_type: "jwt",
    });
    expect(record.profile.allowed_tools).toEqual(["Read", "Bash(ls:*)"]);
    expect(Object.hasOwn(record, "started_at")).toBe(true);
  });

  it("resumes a client from after_seq with every missed event exactly once", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const first = await clientSocket(id, token);
    first.send({ type: "prompt", payload: { text: "go" } });
    await runner.next("prompt");
    runner.send(agentEvent(1, "assistant", { content: [{ type: "text", text: "one" }], model: "m" }));
    const seen = await first.until((f) => f.some((x) => x.type === "assistant"), "first assistant");
    const lastSeq = Math.max(...seen.filter((f) => f.seq !== null).map((f) => f.seq));
    first.close();

    for (let i = 2; i <= 6; i++) runner.send(agentEvent(i, "assistant", { content: [{ type: "text", text: `n${i}` }], model: "m" }));
    await runner.until((f) => f.some((x) => x.type === "ack" && x.rseq === 6), "ack 6");

    const again = await clientSocket(id, token, `after_seq=${lastSeq}`);
    runner.send(agentEvent(7, "assistant", { content: [{ type: "text", text: "live" }], model: "m" }));
    await again.until((f) => f.some((x) => x.payload?.content?.[0]?.text === "live"), "the live event");
    expect(again.frames.some((f) => f.type === "history")).toBe(false);
    const texts = again.frames.filter((f) => f.type === "assistant").map((f) => f.payload.content[0].text);
    expect(texts).toEqual(["n2", "n3", "n4", "n5", "n6", "live"]);
    const seqs = again.frames.map((f) => f.seq);
    expect(seqs[0]).toBe(lastSeq + 1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
    again.close();
    runner.close();
  });

  it("queues a prompt sent while a turn runs and delivers it when the agent is free", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    client.send({ type: "prompt", payload: { text: "first" } });
    await runner.next("prompt");
    client.send({ type: "prompt", payload: { text: "second" } });
    const queued = await client.until(
      (f) => f.some((x) => x.type === "system" && x.payload.subtype === "message_queued"),
      "message_queued",
    );
    expect(queued.find((x) => x.type === "system").seq).not.toBeNull();
    expect(runner.frames.filter((f) => f.type === "prompt")).toHaveLength(1);
    // A stale idle (sent before the runner picked the prompt up) must not release the queue.
    runner.send({ type: "turn_state", state: "idle" });
    await new Promise((r) => setTimeout(r, 100));
    expect(runner.frames.filter((f) => f.type === "prompt")).toHaveLength(1);
    runner.send({ type: "turn_state", state: "running" });
    runner.send({ type: "turn_state", state: "idle" });
    // The finished turn is checkpointed first (hibernation.ts): the next prompt waits for it.
    const checkpoint = await runner.next("archive");
    expect(runner.frames.filter((f) => f.type === "prompt")).toHaveLength(1);
    runner.send({ type: "archive_result", transfer_id: checkpoint.transfer_id, op: "archive", ok: true, size: 10 });
    await runner.until((f) => f.filter((x) => x.type === "prompt").length === 2, "second prompt");
    expect(runner.frames.filter((f) => f.type === "prompt").map((f) => f.text)).toEqual(["first", "second"]);
    client.close();
    runner.close();
  });

  it("answers malformed, unknown and oversized frames with an error and keeps the socket open", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const client = await clientSocket(id, token);
    await client.next("history");
    const cases = [
      "not json",
      JSON.stringify({ type: "launch_missiles" }),
      JSON.stringify({ type: "prompt", payload: {} }),
      JSON.stringify({ type: "prompt", payload: { text: "x".repeat(1024 * 1024 + 10) } }),
    ];
    for (const frame of cases) client.send(frame);
    const errors = await client.until((f) => f.filter((x) => x.type === "error").length === cases.length, "4 errors");
    expect(errors.filter((x) => x.type === "error").map((x) => x.payload.code)).toEqual([
      "invalid_message",
      "invalid_message",
      "invalid_message",
      "message_too_large",
    ]);
    expect(errors.filter((x) => x.type === "error").every((x) => x.seq === null)).toBe(true);
    client.send({ type: "heartbeat" });
    client.send({ type: "prompt", payload: { text: "still here" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "still here"), "the prompt");
    expect(client.closeCode).toBeNull();
    client.close();
  });

  it("refuses frames that are not valid UTF-8 (binary, or text the runtime decoded with U+FFFD) and keeps the socket", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const client = await clientSocket(id, token);
    await client.next("history");
    const prompt = (text: string) => JSON.stringify({ type: "prompt", payload: { text } });
    const invalidBytes = new Uint8Array([
      ...new TextEncoder().encode('{"type":"prompt","payload":{"text":"a'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}}'),
    ]);
    client.ws.send(invalidBytes);
    client.send(prompt("bad \uFFFD byte"));
    const errors = await client.until((f) => f.filter((x) => x.type === "error").length === 2, "2 errors");
    expect(errors.filter((x) => x.type === "error").map((x) => x.payload.code)).toEqual(["invalid_message", "invalid_message"]);
    // The character itself is fine when escaped in the JSON, and valid binary frames are read.
    client.send(JSON.stringify({ type: "prompt", payload: { text: "escaped X" } }).replace("X", "\\ufffd"));
    client.ws.send(new TextEncoder().encode(prompt("binary ok")));
    await client.until((f) => f.filter((x) => x.type === "user").length === 2, "two prompts");
    expect(client.frames.filter((x) => x.type === "user").map((x) => x.payload.content)).toEqual(["escaped \uFFFD", "binary ok"]);
    expect(client.closeCode).toBeNull();
    client.close();
  });

  it("DELETE ends the session: clients get session_end and close 4100, the runner is told to shut down, the sandbox stops", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await client.next("history");
    expect((await call("DELETE", `/v1/sessions/${id}`, { token })).status).toBe(200);
    const end = await client.next("session_end");
    expect(end.payload).toEqual({ reason: "user_requested", detail: expect.any(String), exit_code: null });
    expect(await client.closed()).toBe(4100);
    await runner.next("shutdown");
    expect((await recordedSandbox(id)).stops).toBe(1);
    const record = (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
    expect(record).toMatchObject({ status: "ended", ui_state: "Ended", end_reason: "user_requested", terminated_at: expect.any(String) });

    // An ended session still shows its history, then its session_end (what the product's client
    // waits for), then closes with 4100.
    const late = await clientSocket(id, token);
    const stored = (await late.next("history")).payload.messages.at(-1);
    expect(stored.type).toBe("session_end");
    expect(await late.closed()).toBe(4100);
    expect(late.frames.map((f) => f.type)).toEqual(["history", "session_end"]);
    expect(late.frames[1]).toEqual(stored);
    // A resuming client gets it once: from its replay, or on its own when it had seen it already.
    const replaying = await clientSocket(id, token, `after_seq=${stored.seq - 1}`);
    expect(await replaying.closed()).toBe(4100);
    expect(replaying.frames).toEqual([stored]);
    const caughtUp = await clientSocket(id, token, `after_seq=${stored.seq}`);
    expect(await caughtUp.closed()).toBe(4100);
    expect(caughtUp.frames).toEqual([stored]);

    expect((await call("DELETE", `/v1/sessions/${id}/record`, { token })).body).toEqual({ deleted: true });
    expect((await call("GET", `/v1/sessions/${id}`, { token })).status).toBe(404);
  });

  it("refuses to delete the record of a live session", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const answer = await call("DELETE", `/v1/sessions/${id}/record`, { token });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe("session_not_ended");
  });

  it("pages history with after_seq", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, { initial_prompt: "hello" });
    const runner = await runnerSocket(id);
    for (let i = 1; i <= 5; i++) runner.send(agentEvent(i, "assistant", { content: [{ type: "text", text: `m${i}` }], model: "m" }));
    await runner.until((f) => f.some((x) => x.type === "ack" && x.rseq === 5), "ack 5");
    const all: number[] = [];
    let after = 0;
    for (;;) {
      const page = (await call("GET", `/v1/sessions/${id}/history?after_seq=${after}&limit=3`, { token })).body;
      all.push(...page.messages.map((m: any) => m.seq));
      if (page.next_after_seq === null) break;
      after = page.next_after_seq;
    }
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.length).toBeGreaterThanOrEqual(7);
    runner.close();
  });

  it("deregistration terminates the user's live sessions", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const client = await clientSocket(id, token);
    await client.next("history");
    expect((await call("DELETE", "/v1/register", { token })).status).toBe(200);
    expect((await client.next("session_end")).payload.reason).toBe("user_requested");
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM sessions WHERE id = ?").bind(id).first<{ n: number }>();
    expect(row!.n).toBe(0);
  });
});

describe("capture-profile", () => {
  it("saves a session's effective settings as a new profile, for its owner only", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token, {
      permission_mode: "plan",
      max_turns: 12,
      allowed_tools: ["Read", "Bash(git:*)"],
      environment: { REGION: "eu" },
    });
    const captured = await call("POST", `/v1/sessions/${id}/capture-profile`, {
      token,
      body: { name: "Captured", description: "from a good session" },
    });
    expect(captured.status).toBe(201);
    expect(captured.body.profile).toMatchObject({
      name: "Captured",
      description: "from a good session",
      permission_mode: "plan",
      max_turns: 12,
      allowed_tools: ["Read", "Bash(git:*)"],
      environment: { REGION: "[redacted]" },
      is_default: false,
    });
    expect((await call("POST", `/v1/sessions/${id}/capture-profile`, { token, body: { name: "Captured" } })).body.error).toBe(
      "profile_name_taken",
    );
    const stranger = await userWithKey();
    expect((await call("POST", `/v1/sessions/${id}/capture-profile`, { token: stranger.token, body: { name: "Mine" } })).status).toBe(404);
    expect((await call("POST", `/v1/sessions/${id}/capture-profile`, { token, body: { name: "" } })).status).toBe(400);
  });
});

describe("batched runner events", () => {
  it("stores an `events` frame's new items once each, in order, and acknowledges the last", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await client.next("history");
    const text = (t: string) => ({ type: "assistant", payload: { content: [{ type: "text", text: t }], model: "m" } });
    runner.send({ type: "event", rseq: 1, event: text("one") });
    runner.send({
      type: "events",
      items: [1, 2, 3].map((rseq) => ({ type: "event", rseq, event: text(["one", "two", "three"][rseq - 1]!) })),
    });
    await runner.until((f) => f.some((x) => x.type === "ack" && x.rseq === 3), "ack 3");
    await client.until((f) => f.filter((x) => x.type === "assistant").length >= 3, "three events");
    await new Promise((r) => setTimeout(r, 100));
    expect(client.frames.filter((x) => x.type === "assistant").map((x) => x.payload.content[0].text)).toEqual(["one", "two", "three"]);
    // An empty or oversized batch is not a valid frame and stores nothing.
    runner.send({ type: "events", items: [] });
    runner.send({ type: "events", items: Array.from({ length: 101 }, (_, i) => ({ type: "event", rseq: 4 + i, event: text("x") })) });
    await new Promise((r) => setTimeout(r, 200));
    expect(client.frames.filter((x) => x.type === "assistant")).toHaveLength(3);
  });
});
