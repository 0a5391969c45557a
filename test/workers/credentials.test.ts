import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, registeredUser } from "./helpers.ts";

const API_KEY = "sk-ant-api03-SECRET-VALUE-never-to-be-seen-again-0123456789";

describe("Claude API key", () => {
  it("stores a key sealed at rest and only ever reports its type", async () => {
    const { user, token } = await registeredUser();
    expect((await call("GET", "/v1/auth/claude/status", { token })).body).toEqual({
      has_credentials: false,
      credential_type: null,
      created_at: null,
      simulated_model: false,
    });

    const stored = await call("POST", "/v1/auth/claude/apikey", { token, body: { api_key: API_KEY } });
    expect(stored.status).toBe(200);
    expect(JSON.stringify(stored.body)).not.toContain("SECRET-VALUE");

    const status = await call("GET", "/v1/auth/claude/status", { token });
    expect(status.body).toEqual({
      has_credentials: true,
      credential_type: "api_key",
      created_at: expect.any(String),
      simulated_model: false,
    });
    expect(JSON.stringify(status.body)).not.toContain("SECRET-VALUE");

    const row = await env.DB.prepare("SELECT * FROM claude_credentials WHERE user_id = ?").bind(user.sub).first<Record<string, string>>();
    expect(row).not.toBeNull();
    const rowText = JSON.stringify(row);
    expect(rowText).not.toContain("SECRET-VALUE");
    expect(rowText).not.toContain("sk-ant-");
    expect(row!.key_id).toBe("test-key-1");
    expect(row!.ciphertext!.startsWith("v1.test-key-1.")).toBe(true);
  });

  it("rejects keys that do not start with sk-ant-, and unknown fields", async () => {
    const { token } = await registeredUser();
    for (const body of [
      { api_key: "pk-live-0123456789abcdefghij" },
      { api_key: "" },
      {},
      { api_key: API_KEY, extra: 1 },
      { api_key: 42 },
    ]) {
      const answer = await call("POST", "/v1/auth/claude/apikey", { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toBe("invalid_request");
    }
    expect((await call("GET", "/v1/auth/claude/status", { token })).body.has_credentials).toBe(false);
  });

  it("deletes the credential", async () => {
    const { token } = await registeredUser();
    await call("POST", "/v1/auth/claude/apikey", { token, body: { api_key: API_KEY } });
    expect((await call("DELETE", "/v1/auth/claude", { token })).body).toEqual({ deleted: true });
    expect((await call("GET", "/v1/auth/claude/status", { token })).body.has_credentials).toBe(false);
    expect((await call("DELETE", "/v1/auth/claude", { token })).body).toEqual({ deleted: false });
  });

  it("a foreign user sees only their own credential status and cannot delete another's", async () => {
    const alice = await registeredUser();
    const bob = await registeredUser();
    await call("POST", "/v1/auth/claude/apikey", { token: alice.token, body: { api_key: API_KEY } });
    expect((await call("GET", "/v1/auth/claude/status", { token: bob.token })).body.has_credentials).toBe(false);
    await call("DELETE", "/v1/auth/claude", { token: bob.token });
    expect((await call("GET", "/v1/auth/claude/status", { token: alice.token })).body.has_credentials).toBe(true);
  });
});

describe("Claude Max OAuth (PKCE)", () => {
  /** Starts a flow and returns its id and the challenge from its authorize URL. */
  async function startFlow(token: string) {
    const started = await call("POST", "/v1/auth/claude/start", { token, headers: { "content-type": "application/json" } });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ oauth_session_id: expect.any(String), expires_in: 300 });
    const id = started.body.oauth_session_id as string;
    const url = await call("GET", `/v1/auth/claude/url?session_id=${id}`, { token });
    expect(url.status).toBe(200);
    expect(url.body.status).toBe("ready");
    const authorize = new URL(url.body.url);
    expect(authorize.origin + authorize.pathname).toBe("https://claude.example/oauth/authorize");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    return { id, challenge: authorize.searchParams.get("code_challenge")!, state: authorize.searchParams.get("state")! };
  }

  it("exchanges the code at the token endpoint with the right verifier and stores the token sealed", async () => {
    const { user, token } = await registeredUser();
    const flow = await startFlow(token);
    // Claude's page shows `code#state`; the fake accepts only the code built for this challenge.
    const done = await call("POST", "/v1/auth/claude/code", {
      token,
      body: { session_id: flow.id, code: `good-${flow.challenge}#${flow.state}` },
    });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ success: true, status: "completed", message: expect.any(String) });
    expect((await call("GET", "/v1/auth/claude/status", { token })).body).toMatchObject({
      has_credentials: true,
      credential_type: "oauth_token",
    });
    const row = await env.DB.prepare("SELECT ciphertext FROM claude_credentials WHERE user_id = ?")
      .bind(user.sub)
      .first<{ ciphertext: string }>();
    expect(row!.ciphertext).not.toContain("sk-ant-oat01");
    // The flow cannot be replayed.
    const replay = await call("POST", "/v1/auth/claude/code", { token, body: { session_id: flow.id, code: `good-${flow.challenge}` } });
    expect(replay.status).toBe(409);
  });

  it("reports the token endpoint's refusal, a state mismatch, and unknown flows", async () => {
    const { token } = await registeredUser();
    const flow = await startFlow(token);
    const refused = await call("POST", "/v1/auth/claude/code", { token, body: { session_id: flow.id, code: "wrong-code" } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: "oauth_exchange_failed", message: expect.stringContaining("Invalid authorization code") });
    const mismatch = await call("POST", "/v1/auth/claude/code", {
      token,
      body: { session_id: flow.id, code: `good-${flow.challenge}#other-state` },
    });
    expect(mismatch.body.error).toBe("oauth_state_mismatch");
    expect((await call("GET", "/v1/auth/claude/url?session_id=does-not-exist", { token })).status).toBe(404);
    expect((await call("GET", "/v1/auth/claude/url", { token })).status).toBe(400);
    expect((await call("GET", "/v1/auth/claude/status", { token })).body.has_credentials).toBe(false);
    // A failed attempt leaves the flow usable for the right code.
    expect(
      (await call("POST", "/v1/auth/claude/code", { token, body: { session_id: flow.id, code: `good-${flow.challenge}` } })).status,
    ).toBe(200);
  });

  it("another user cannot read or complete someone else's flow", async () => {
    const alice = await registeredUser();
    const bob = await registeredUser();
    const flow = await startFlow(alice.token);
    expect((await call("GET", `/v1/auth/claude/url?session_id=${flow.id}`, { token: bob.token })).status).toBe(404);
    expect(
      (await call("POST", "/v1/auth/claude/code", { token: bob.token, body: { session_id: flow.id, code: `good-${flow.challenge}` } }))
        .status,
    ).toBe(404);
  });

  it("expired flows answer 410", async () => {
    const { token } = await registeredUser();
    const flow = await startFlow(token);
    await env.DB.prepare("UPDATE oauth_flows SET expires_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), flow.id)
      .run();
    const answer = await call("POST", "/v1/auth/claude/code", { token, body: { session_id: flow.id, code: `good-${flow.challenge}` } });
    expect(answer.status).toBe(410);
    expect(answer.body.error).toBe("oauth_expired");
  });
});
