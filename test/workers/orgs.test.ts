/** The org API: keys, secrets, unattended org sessions, and org_api_requested. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { gateway, messagesBody } from "./gateway-helpers.ts";
import { call, mintToken } from "./helpers.ts";
import { newOrg, OPERATOR } from "./org-helpers.ts";
import { backdate, fireAlarm, openSocket, recordedSandbox, runnerSocket, TestSocket, userWithKey } from "./session-helpers.ts";

describe("org API keys and secrets", () => {
  it("issues keys only to the operator and stores only their hash", async () => {
    expect((await call("POST", "/v1/orgs/acme/keys", { body: { name: "x" } })).status).toBe(401);
    expect((await call("POST", "/v1/orgs/acme/keys", { headers: { authorization: "Bearer wrong" }, body: { name: "x" } })).status).toBe(
      401,
    );
    const { oid, key } = await newOrg();
    const row = await env.DB.prepare("SELECT * FROM org_api_keys WHERE org_id = ?").bind(oid).first();
    expect(JSON.stringify(row)).not.toContain(key);
  });

  it("keeps secrets sealed, lists names only, and refuses other orgs", async () => {
    const org = await newOrg();
    const other = await newOrg();
    expect(
      (
        await call("PUT", `/v1/orgs/${org.oid}/secrets/anthropic-key`, {
          headers: org.headers,
          body: { value: "sk-ant-org-secret-value-123" },
        })
      ).status,
    ).toBe(200);
    const list = await call("GET", `/v1/orgs/${org.oid}/secrets`, { headers: org.headers });
    expect(list.body.secrets.map((s: any) => s.name)).toEqual(["anthropic-key"]);
    expect(JSON.stringify(list.body)).not.toContain("sk-ant-org-secret");
    const row = await env.DB.prepare("SELECT * FROM org_secrets WHERE org_id = ?").bind(org.oid).first();
    expect(JSON.stringify(row)).not.toContain("sk-ant-org-secret");
    // Another org's key, the wrong X-LC-OID, and a user token are all refused.
    expect((await call("GET", `/v1/orgs/${org.oid}/secrets`, { headers: other.headers })).status).toBe(403);
    expect((await call("GET", `/v1/orgs/${org.oid}/secrets`, { headers: { ...org.headers, "x-lc-oid": other.oid } })).status).toBe(401);
    const { token } = await userWithKey();
    expect((await call("GET", `/v1/orgs/${org.oid}/secrets`, { token })).status).toBe(401);
    expect((await call("DELETE", `/v1/orgs/${org.oid}/secrets/anthropic-key`, { headers: org.headers })).body).toEqual({
      name: "anthropic-key",
      stored: false,
    });
  });

  it("refuses user tokens that claim an org owner id", async () => {
    const forged = await mintToken({ sub: "org:acme", email: "x@example.com" });
    expect((await call("GET", "/v1/sessions", { token: forged })).status).toBe(401);
  });
});

describe("org sessions", () => {
  it("run unattended and one-shot, pay with the org secret, and end with org_api_requested when the org deletes them", async () => {
    const org = await newOrg();
    await call("PUT", `/v1/orgs/${org.oid}/secrets/anthropic-key`, {
      headers: org.headers,
      body: { value: "sk-ant-org-paid-key-0123456789" },
    });
    await call("PUT", `/v1/orgs/${org.oid}/secrets/vt`, {
      headers: org.headers,
      body: { value: "vt-token-xyz", expose_to_sessions: true },
    });
    const missing = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: { prompt: "triage", anthropic_secret: "hive://secret/nope" },
    });
    expect(missing.body.error).toBe("secret_not_found");

    const created = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: {
        prompt: "Investigate the detection",
        anthropic_secret: "hive://secret/anthropic-key",
        environment: { VT_API_KEY: "hive://secret/vt" },
        name: "mimikatz triage",
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.session.id;
    expect(created.body.session.profile.one_shot).toBe(true);
    const sandbox = await recordedSandbox(id);
    // Neither stored secret value is in the sandbox's environment (the key never; the VT token
    // only through configure, below).
    expect(JSON.stringify(sandbox.env)).not.toContain("sk-ant-org-paid-key-0123456789");
    expect(JSON.stringify(sandbox.env)).not.toContain("vt-token-xyz");

    // The runner is configured with the secret resolved, at the last moment.
    const runner = await runnerSocket(id);
    expect(runner.frames.find((f) => f.type === "configure").settings.environment).toEqual({ VT_API_KEY: "vt-token-xyz" });
    expect((await runner.next("prompt")).text).toBe("Investigate the detection");

    // The gateway pays with the org secret.
    const admission = await env.SESSION.get(env.SESSION.idFromName(id)).admitModelRequest(sandbox.env.GATEWAY_TOKEN!);
    expect(admission).toMatchObject({ allowed: true, orgId: org.oid, credential: { kind: "org_secret", name: "anthropic-key" } });

    // The org reads it; users cannot.
    expect((await call("GET", `/v1/org/sessions/${id}`, { headers: org.headers })).body.session).toMatchObject({
      name: "mimikatz triage",
      lc_auth_type: "org_api_key",
      region: "local",
    });
    expect((await call("GET", "/v1/org/sessions", { headers: org.headers })).body.sessions.map((s: any) => s.id)).toEqual([id]);
    expect((await call("GET", `/v1/org/sessions/${id}/history`, { headers: org.headers })).body.messages[0].type).toBe("session_status");
    const { token } = await userWithKey();
    expect((await call("GET", `/v1/sessions/${id}`, { token })).status).toBe(404);
    const other = await newOrg();
    expect((await call("GET", `/v1/org/sessions/${id}`, { headers: other.headers })).status).toBe(404);

    // The read-only org socket watches but cannot prompt.
    const watcher = await openSocket(`/v1/ws/org/sessions/${id}`, org.headers);
    expect(watcher).toBeInstanceOf(TestSocket);
    const socket = watcher as TestSocket;
    await socket.next("history");
    socket.send({ type: "prompt", payload: { text: "hi" } });
    expect((await socket.next("error")).payload.message).toContain("read-only");

    expect((await call("DELETE", `/v1/org/sessions/${id}`, { headers: org.headers })).body).toEqual({ terminated: true });
    const end = await socket.next("session_end");
    expect(end.payload.reason).toBe("org_api_requested");
    expect((await call("GET", `/v1/org/sessions/${id}`, { headers: org.headers })).body.session).toMatchObject({
      status: "ended",
      end_reason: "org_api_requested",
    });
    await runner.next("shutdown");
  });

  it("seals a literal key per session, and refuses anything that is neither a key nor a secret reference", async () => {
    const org = await newOrg();
    const created = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: { initial_prompt: "go", anthropic_secret: "sk-ant-literal-key-0123456789" },
    });
    const id = created.body.session.id;
    const admission = await env.SESSION.get(env.SESSION.idFromName(id)).admitModelRequest((await recordedSandbox(id)).env.GATEWAY_TOKEN!);
    expect(admission).toMatchObject({ allowed: true, credential: { kind: "sealed" } });
    expect(JSON.stringify(admission)).not.toContain("literal-key");
    const bad = await call("POST", "/v1/api/sessions", { headers: org.headers, body: { prompt: "go", anthropic_secret: "not-a-key" } });
    expect(bad.status).toBe(400);
  });

  it("denies an approval nobody answers within APPROVAL_TIMEOUT_SECONDS", async () => {
    const org = await newOrg();
    const created = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: { prompt: "go", anthropic_secret: "sk-ant-literal-key-0123456789", permission_mode: "acceptEdits" },
    });
    const id = created.body.session.id;
    const runner = await runnerSocket(id);
    runner.send({
      type: "permission_request",
      request_id: "org-1",
      tool_name: "Bash",
      input: { command: "curl x" },
      tool_use_id: "tu_org_1",
    });
    const watcher = (await openSocket(`/v1/ws/org/sessions/${id}`, org.headers)) as TestSocket;
    await watcher.until(
      (f) =>
        f.some((x) => x.type === "history" && x.payload.messages.some((m: any) => m.type === "tool_approval_request")) ||
        f.some((x) => x.type === "tool_approval_request"),
      "the approval request",
    );
    await backdate(id, (s) => {
      for (const pending of s.pending) pending.askedAt = Date.now() - 301_000;
      s.lastHeartbeatAt = Date.now();
    });
    await fireAlarm(id);
    await runner.until((f) => f.some((x) => x.request_id === "org-1"), "the timeout's denial");
    expect(runner.frames.find((x) => x.request_id === "org-1")).toMatchObject({
      behavior: "deny",
      message: expect.stringContaining("No answer within 300 s"),
    });
  });
});

describe("org usage", () => {
  it("reports runtime, tokens and cost per session, per key and in total", async () => {
    const org = await newOrg();
    const second = await call("POST", `/v1/orgs/${org.oid}/keys`, { headers: OPERATOR, body: { name: "second" } });
    const secondHeaders = { authorization: `Bearer ${second.body.key}`, "x-lc-oid": org.oid };
    const start = async (headers: Record<string, string>) =>
      (await call("POST", "/v1/api/sessions", { headers, body: { prompt: "go", anthropic_secret: "sk-ant-literal-key-0123456789" } })).body
        .session.id as string;
    const a = await start(org.headers);
    const b = await start(secondHeaders);
    // Real model calls through the gateway, as the sessions' sandboxes make them; each is
    // metered once its stream is answered, so wait for the usage to grow before the next.
    const usageOf = async (id: string) => (await call("GET", `/v1/org/sessions/${id}`, { headers: org.headers })).body.session.usage;
    const callModel = async (id: string, text: string) => {
      const before = (await usageOf(id)).output_tokens;
      const sandbox = await recordedSandbox(id);
      const answer = await gateway(`${sandbox.env.GATEWAY_URL}/v1/messages`, {
        token: sandbox.env.GATEWAY_TOKEN!,
        body: messagesBody(text, true),
      });
      expect(answer.status).toBe(200);
      await answer.text();
      for (let i = 0; i < 200; i++) {
        const usage = await usageOf(id);
        if (usage.output_tokens > before) return usage;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`the call of ${id} was never metered`);
    };
    await callModel(a, "first answer for a");
    const usageA = await callModel(a, "second, somewhat longer answer for session a");
    const usageB = await callModel(b, "one answer for b");
    (await runnerSocket(a)).close(); // a started: it accrues runtime
    await new Promise((r) => setTimeout(r, 300));

    const report = await call("GET", "/v1/org/usage", { headers: org.headers });
    expect(report.status).toBe(200);
    expect(usageA.cost_usd).toBeGreaterThan(0);
    expect(report.body.totals).toMatchObject({
      sessions: 2,
      input_tokens: usageA.input_tokens + usageB.input_tokens,
      output_tokens: usageA.output_tokens + usageB.output_tokens,
    });
    expect(report.body.totals.cost_usd).toBeCloseTo(usageA.cost_usd + usageB.cost_usd, 10);
    expect(report.body.sessions.find((s: any) => s.id === a)).toMatchObject({
      input_tokens: usageA.input_tokens,
      output_tokens: usageA.output_tokens,
    });
    expect(report.body.sessions.find((s: any) => s.id === a).runtime_minutes).toBeGreaterThan(0);
    expect(report.body.sessions.find((s: any) => s.id === b).runtime_minutes).toBe(0); // never started
    const perKey = Object.fromEntries(report.body.keys.map((k: any) => [k.key_id, k]));
    expect(perKey[second.body.id]).toMatchObject({ sessions: 1, input_tokens: usageB.input_tokens });
    expect(perKey[second.body.id].cost_usd).toBeCloseTo(usageB.cost_usd, 10);
    expect(Object.keys(perKey)).toHaveLength(2);
    // Another org sees none of it; a window before the sessions is empty.
    const other = await newOrg();
    expect((await call("GET", "/v1/org/usage", { headers: other.headers })).body.totals.sessions).toBe(0);
    expect((await call("GET", "/v1/org/usage?until=2000-01-01T00:00:00Z", { headers: org.headers })).body.totals.sessions).toBe(0);
    expect((await call("GET", "/v1/org/usage?since=yesterday", { headers: org.headers })).status).toBe(400);
  });
});
