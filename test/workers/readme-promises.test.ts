/**
 * Promises the README makes that no other test pinned: key rotation, HS256 without a secret,
 * the socket alias, the platform's maximum duration, tokens kept only as hashes, the org's live
 * session limit and what the retention purge removes.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionTimers } from "../../platform/config.ts";
import { keyringFrom, open, seal } from "../../platform/crypto/sealed-box.ts";
import { MAX_LIVE_SESSIONS_PER_ORG } from "../../schemas/org.ts";
import { verifyUserToken } from "../../worker/auth/jwt.ts";
import { endOfLife } from "../../durable-objects/session/deadlines.ts";
import { call, mintToken } from "./helpers.ts";
import {
  backdate,
  createSession,
  fireAlarm,
  openSocket,
  recordedSandbox,
  runnerSocket,
  TestSocket,
  userWithKey,
} from "./session-helpers.ts";

const key = (fill: number) => Buffer.alloc(32, fill).toString("base64");

/** Everything the session's Durable Object has stored: its key-value entries and SQL rows. */
async function storedText(sessionId: string): Promise<string> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(env.SESSION.get(env.SESSION.idFromName(sessionId)), async (_instance, state) => {
    const parts: unknown[] = [...(await state.storage.list()).entries()];
    const tables = state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'",
      )
      .toArray();
    for (const { name } of tables) parts.push(state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray());
    return JSON.stringify(parts);
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("configuration promises", () => {
  it("CREDENTIALS_OLD_KEYS opens rows sealed under a retired key; new rows use the current one", async () => {
    const before = await keyringFrom({ ...env, CREDENTIALS_KEY: `k1:${key(1)}`, CREDENTIALS_OLD_KEYS: undefined });
    const old = await seal(before, "sk-ant-sealed-under-k1", "credential:u1");
    expect(old.keyId).toBe("k1");

    const rotated = await keyringFrom({ ...env, CREDENTIALS_KEY: `k2:${key(2)}`, CREDENTIALS_OLD_KEYS: `k1:${key(1)}` });
    expect(await open(rotated, old.ciphertext, "credential:u1")).toBe("sk-ant-sealed-under-k1");
    expect((await seal(rotated, "new", "credential:u1")).keyId).toBe("k2");

    // Without the retired key the old row cannot be opened.
    const forgotten = await keyringFrom({ ...env, CREDENTIALS_KEY: `k2:${key(2)}`, CREDENTIALS_OLD_KEYS: undefined });
    await expect(open(forgotten, old.ciphertext, "credential:u1")).rejects.toThrow(/unknown key id k1/);
  });

  it("refuses HS256 tokens when JWT_SECRET is unset", async () => {
    const token = await mintToken({ sub: "hs-user", email: "hs@example.com" });
    await expect(verifyUserToken(env, token)).resolves.toMatchObject({ id: "hs-user" });
    await expect(verifyUserToken({ ...env, JWT_SECRET: undefined }, token)).rejects.toThrow(/HS256 tokens are not accepted/);
  });

  it("caps a session's ttl at MAX_SESSION_SECONDS", () => {
    const timers = sessionTimers({ ...env, MAX_SESSION_SECONDS: "60" });
    const state = (ttl_seconds: number | null) => ({ createdAt: "2026-01-01T00:00:00.000Z", init: { settings: { ttl_seconds } } }) as never;
    const created = Date.parse("2026-01-01T00:00:00.000Z");
    expect(endOfLife(state(3600), timers)).toBe(created + 60_000);
    expect(endOfLife(state(30), timers)).toBe(created + 30_000);
    expect(endOfLife(state(null), timers)).toBe(created + 60_000);
  });
});

describe("session promises", () => {
  it("serves the client socket at the /v1/sessions/{id}/ws alias too", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const socket = await openSocket(`/v1/sessions/${id}/ws?token=${token}`);
    expect(socket).toBeInstanceOf(TestSocket);
    const history = await (socket as TestSocket).next("history");
    expect(history.payload.messages.map((m: any) => m.type)).toContain("session_status");
    (socket as TestSocket).close();
  });

  it("stores the runner and gateway tokens only as hashes", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const sandbox = await recordedSandbox(id);
    const secrets = [sandbox.env.RUNNER_TOKEN, sandbox.env.GATEWAY_TOKEN].filter((s): s is string => typeof s === "string" && s.length > 0);
    expect(secrets).toHaveLength(2);
    const stored = await storedText(id);
    expect(stored.length).toBeGreaterThan(100);
    for (const secret of secrets) expect(stored).not.toContain(secret);
    runner.close();
  });

  it("purges an ended session's events and files after the retention period", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const upload = `sessions/${id}/uploads/up1/evidence.txt`;
    await env.FILES.put(upload, "evidence");
    await call("DELETE", `/v1/sessions/${id}`, { token });
    expect(await storedText(id)).toContain("session_end");
    await backdate(id, (s) => (s.terminatedAt = new Date(Date.now() - 3 * 86_400_000 - 1000).toISOString()));
    await fireAlarm(id);
    // The backdate also set the alarm, which may run the purge on its own: wait for its outcome.
    await until(async () => (await call("GET", `/v1/sessions/${id}`, { token })).status === 404, "the record purged");
    await until(async () => (await env.FILES.head(upload)) === null, "the upload deleted");
    expect(await storedText(id)).not.toContain("session_end");
    expect((await call("GET", `/v1/sessions/${id}/history`, { token })).status).toBe(404);
  });
});

describe("org promises", () => {
  it(`allows ${MAX_LIVE_SESSIONS_PER_ORG} live sessions per org, and one more once one ends`, async () => {
    const oid = `org-${crypto.randomUUID().slice(0, 8)}`;
    const created = await call("POST", `/v1/orgs/${oid}/keys`, {
      headers: { authorization: "Bearer test-operator-token" },
      body: { name: "limit" },
    });
    const headers = { authorization: `Bearer ${created.body.key}`, "x-lc-oid": oid };
    const start = () =>
      call("POST", "/v1/api/sessions", { headers, body: { prompt: "triage", anthropic_secret: "sk-ant-literal-key-0123456789" } });
    // Creation is also rate limited per owner: age the recorded creations so only the live
    // session limit can refuse.
    const { runInDurableObject } = await import("cloudflare:test");
    const forgetCreations = () =>
      runInDurableObject(env.USER_QUOTA.get(env.USER_QUOTA.idFromName(`org:${oid}`)), async (_instance, state) => {
        state.storage.sql.exec("UPDATE hits SET at = at - 3600000");
      });
    const ids: string[] = [];
    for (let i = 0; i < MAX_LIVE_SESSIONS_PER_ORG; i++) {
      await forgetCreations();
      const answer = await start();
      expect(answer.status, `session ${i + 1}`).toBe(201);
      ids.push(answer.body.session.id);
    }
    await forgetCreations();
    const over = await start();
    expect(over.status).toBe(409);
    expect(over.body.error).toBe("max_concurrent_sessions");
    expect((await call("DELETE", `/v1/org/sessions/${ids[0]}`, { headers })).status).toBeLessThan(300);
    await forgetCreations();
    expect((await start()).status).toBe(201);
  });
});
