/**
 * Org API key lifecycle (operator routes: list, revoke, expire; last_used_at; open sockets
 * closed on revocation) and which org secrets a session's environment may resolve.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { openSocket, recordedSandbox, runnerSocket, type TestSocket } from "./session-helpers.ts";

const OPERATOR = { authorization: "Bearer test-operator-token" };

/** A fresh org id. */
const newOrgId = () => `org-${crypto.randomUUID().slice(0, 8)}`;

/** Issues a key for `oid`; returns its id and the headers that act with it. */
async function issueKey(
  oid: string,
  body: Record<string, unknown> = { name: "automation" },
): Promise<{ id: string; headers: Record<string, string> }> {
  const created = await call("POST", `/v1/orgs/${oid}/keys`, { headers: OPERATOR, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { id: created.body.id, headers: { authorization: `Bearer ${created.body.key}`, "x-lc-oid": oid } };
}

const listKeys = async (oid: string) => (await call("GET", `/v1/orgs/${oid}/keys`, { headers: OPERATOR })).body.keys as any[];

describe("org API key lifecycle", () => {
  it("lists the org's keys without the keys themselves, and records when each was last used", async () => {
    const oid = newOrgId();
    const first = await issueKey(oid, { name: "first" });
    const second = await issueKey(oid, { name: "second" });
    const before = await listKeys(oid);
    expect(before.map((k) => [k.id, k.name, k.last_used_at, k.revoked_at, k.expires_at])).toEqual([
      [first.id, "first", null, null, null],
      [second.id, "second", null, null, null],
    ]);
    expect(JSON.stringify(before)).not.toContain(first.headers.authorization!.slice(7));
    const start = Date.now();
    expect((await call("GET", `/v1/orgs/${oid}/secrets`, { headers: first.headers })).status).toBe(200);
    const after = await listKeys(oid);
    expect(Date.parse(after[0].last_used_at)).toBeGreaterThanOrEqual(start - 1000);
    expect(after[1].last_used_at).toBeNull();
    // Only the operator lists keys, and only those of the org asked about.
    expect((await call("GET", `/v1/orgs/${oid}/keys`, { headers: first.headers })).status).toBe(401);
    expect(await listKeys(newOrgId())).toEqual([]);
  });

  it("a revoked key is refused on the next request; other keys keep working", async () => {
    const oid = newOrgId();
    const doomed = await issueKey(oid);
    const kept = await issueKey(oid);
    expect((await call("GET", "/v1/org/sessions", { headers: doomed.headers })).status).toBe(200);
    const revoked = await call("DELETE", `/v1/orgs/${oid}/keys/${doomed.id}`, { headers: OPERATOR });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    const refused = await call("GET", "/v1/org/sessions", { headers: doomed.headers });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe("unauthorized");
    expect((await call("GET", "/v1/org/sessions", { headers: kept.headers })).status).toBe(200);
    // Unknown keys and keys of another org are 404; the org key cannot revoke keys.
    expect((await call("DELETE", `/v1/orgs/${oid}/keys/nope`, { headers: OPERATOR })).status).toBe(404);
    expect((await call("DELETE", `/v1/orgs/${newOrgId()}/keys/${kept.id}`, { headers: OPERATOR })).status).toBe(404);
    expect((await call("DELETE", `/v1/orgs/${oid}/keys/${kept.id}`, { headers: kept.headers })).status).toBe(401);
  });

  it("an expired key is refused; the operator can expire a key now, or clear its expiry", async () => {
    const oid = newOrgId();
    const past = await issueKey(oid, { name: "born expired", expires_at: new Date(Date.now() - 60_000).toISOString() });
    expect((await call("GET", "/v1/org/sessions", { headers: past.headers })).status).toBe(401);
    const later = await issueKey(oid, { name: "expires later", expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await call("GET", "/v1/org/sessions", { headers: later.headers })).status).toBe(200);
    const now = await call("PUT", `/v1/orgs/${oid}/keys/${later.id}`, {
      headers: OPERATOR,
      body: { expires_at: new Date().toISOString() },
    });
    expect(now.status).toBe(200);
    expect((await call("GET", "/v1/org/sessions", { headers: later.headers })).status).toBe(401);
    expect(
      (await call("PUT", `/v1/orgs/${oid}/keys/${past.id}`, { headers: OPERATOR, body: { expires_at: null } })).body.expires_at,
    ).toBeNull();
    expect((await call("GET", "/v1/org/sessions", { headers: past.headers })).status).toBe(200);
    expect((await call("PUT", `/v1/orgs/${oid}/keys/${past.id}`, { headers: OPERATOR, body: { expires_at: "tomorrow" } })).status).toBe(
      400,
    );
  });

  it("revoking a key closes the sockets it opened (4001), and not those of other keys", async () => {
    const oid = newOrgId();
    const doomed = await issueKey(oid);
    const kept = await issueKey(oid);
    const created = await call("POST", "/v1/api/sessions", {
      headers: kept.headers,
      body: { prompt: "watch me", anthropic_secret: "sk-ant-literal-key-0123456789" },
    });
    const id = created.body.session.id;
    const doomedSocket = (await openSocket(`/v1/ws/org/sessions/${id}`, doomed.headers)) as TestSocket;
    const keptSocket = (await openSocket(`/v1/ws/org/sessions/${id}`, kept.headers)) as TestSocket;
    await doomedSocket.next("history");
    await keptSocket.next("history");
    await call("DELETE", `/v1/orgs/${oid}/keys/${doomed.id}`, { headers: OPERATOR });
    expect(await doomedSocket.closed()).toBe(4001);
    // The other key's socket still receives the session's events.
    await call("DELETE", `/v1/org/sessions/${id}`, { headers: kept.headers });
    expect((await keptSocket.next("session_end")).payload.reason).toBe("org_api_requested");
  });
});

describe("org secrets in a session's environment", () => {
  it("resolve only when granted to sessions; other secrets (the gateway's key) never reach the sandbox", async () => {
    const oid = newOrgId();
    const { headers } = await issueKey(oid);
    await call("PUT", `/v1/orgs/${oid}/secrets/anthropic-key`, { headers, body: { value: "sk-ant-org-paid-key-0123456789" } });
    await call("PUT", `/v1/orgs/${oid}/secrets/vt`, { headers, body: { value: "vt-token-xyz", expose_to_sessions: true } });
    const listed = (await call("GET", `/v1/orgs/${oid}/secrets`, { headers })).body.secrets;
    expect(listed.map((s: any) => [s.name, s.expose_to_sessions])).toEqual([
      ["anthropic-key", false],
      ["vt", true],
    ]);
    const created = await call("POST", "/v1/api/sessions", {
      headers,
      body: {
        prompt: "print your env",
        anthropic_secret: "hive://secret/anthropic-key",
        environment: { VT: "hive://secret/vt", STOLEN: "hive://secret/anthropic-key" },
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.session.id;
    const runner = await runnerSocket(id);
    const configure = runner.frames.find((f) => f.type === "configure");
    expect(configure.settings.environment).toEqual({ VT: "vt-token-xyz" });
    expect(JSON.stringify(runner.frames)).not.toContain("sk-ant-org-paid-key");
    // The gateway still pays with the ungranted secret.
    const sandbox = await recordedSandbox(id);
    const admission = await env.SESSION.get(env.SESSION.idFromName(id)).admitModelRequest(sandbox.env.GATEWAY_TOKEN!);
    expect(admission).toMatchObject({ allowed: true, credential: { kind: "org_secret", name: "anthropic-key" } });
    // Rewriting a secret without the grant withdraws it.
    await call("PUT", `/v1/orgs/${oid}/secrets/vt`, { headers, body: { value: "vt-token-2" } });
    const again = await call("POST", "/v1/api/sessions", {
      headers,
      body: { prompt: "x", anthropic_secret: "hive://secret/anthropic-key", environment: { VT: "hive://secret/vt" } },
    });
    const second = await runnerSocket(again.body.session.id);
    expect(second.frames.find((f) => f.type === "configure").settings.environment).toEqual({});
  });
});
