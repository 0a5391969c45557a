/**
 * The model gateway end to end inside workerd: real sessions (their Durable Objects mint the
 * gateway token the sandbox gets), real sealed credentials in D1, and the scripted model
 * server on loopback as ANTHROPIC_API_URL.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { storeCredential } from "../../platform/db/credentials.ts";
import { OAUTH_BETA } from "../../worker/gateway/upstream.ts";
import { costOf } from "../../worker/gateway/pricing.ts";
import { MAX_GATEWAY_BODY_BYTES } from "../../worker/gateway/request-body.ts";
import { call, registeredUser } from "./helpers.ts";
import { backdate, clientSocket, createSession, recordedSandbox, runnerSocket } from "./session-helpers.ts";
import { MODEL, allReceived, gateway, messagesBody, receivedWith, sessionWith, recordOf, usageOf } from "./gateway-helpers.ts";

describe("model gateway", () => {
  it("forwards a streamed call with the user's API key, never the gateway token, and records its usage", async () => {
    const s = await sessionWith("api_key");
    const response = await gateway(`${s.baseUrl}/v1/messages?beta=true`, {
      token: s.gatewayToken,
      body: messagesBody("Hello through the gateway", true),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const sse = await response.text();
    expect(sse).toContain("event: message_start");
    expect(sse).toContain("Hello through the gateway".split(" ")[0]);
    expect(sse.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true);

    const [received, ...more] = await receivedWith(s.secret);
    expect(more).toHaveLength(0);
    expect(received!.url).toBe("/v1/messages?beta=true");
    expect(received!.headers["x-api-key"]).toBe(s.secret);
    expect(received!.headers.authorization).toBeUndefined();
    expect(received!.headers["anthropic-version"]).toBe("2023-06-01");
    expect(received!.headers["anthropic-beta"]).toBe("claude-code-20250219");
    expect(await allReceived()).not.toContain(s.gatewayToken);

    const expected = received!.usage!;
    const usage = await usageOf(s.id, s.token, (u) => u.output_tokens > 0);
    expect(usage).toMatchObject({
      input_tokens: expected.input_tokens,
      output_tokens: expected.output_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(usage.cost_usd).toBeCloseTo(
      costOf(MODEL, { ...expected, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation_1h_input_tokens: 0 }),
      6,
    );
    expect(usage.cost_usd).toBeGreaterThan(0);
  });

  it("meters non-streaming calls too, adding to the session's usage", async () => {
    const s = await sessionWith("api_key");
    for (const [text, stream] of [
      ["first answer", true],
      ["second answer, not streamed", false],
    ] as const) {
      const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody(text, stream) });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const received = await receivedWith(s.secret);
    expect(received).toHaveLength(2);
    const input = received.reduce((sum, r) => sum + r.usage!.input_tokens, 0);
    const output = received.reduce((sum, r) => sum + r.usage!.output_tokens, 0);
    const usage = await usageOf(s.id, s.token, (u) => u.output_tokens === output);
    expect(usage.input_tokens).toBe(input);
    expect(usage.cost_usd).toBeCloseTo((input * 3 + output * 15) / 1_000_000, 6);
  });

  it("accepts the gateway token as x-api-key too", async () => {
    const s = await sessionWith("api_key");
    const response = await gateway(`${s.baseUrl}/v1/messages`, {
      headers: { "x-api-key": s.gatewayToken },
      body: messagesBody("via x-api-key", false),
    });
    expect(response.status).toBe(200);
    expect((await receivedWith(s.secret))[0]!.headers["x-api-key"]).toBe(s.secret);
  });

  it("refuses a wrong, missing or foreign token with 401 and never reaches the model server", async () => {
    const s = await sessionWith("api_key");
    const other = await sessionWith("api_key");
    for (const init of [{ token: "gt_wrong" }, { token: null }, { token: other.gatewayToken }, { headers: { "x-api-key": "gt_wrong" } }]) {
      const response = await gateway(`${s.baseUrl}/v1/messages`, { ...init, body: messagesBody("must not arrive", true) });
      expect(response.status, JSON.stringify(init)).toBe(401);
      const body = await response.json<any>();
      expect(body).toMatchObject({ type: "error", error: { type: "authentication_error", message: expect.any(String) } });
    }
    expect(await receivedWith(s.secret)).toHaveLength(0);
    const usage = await usageOf(s.id, s.token, () => true);
    expect(usage).toMatchObject({ input_tokens: 0, output_tokens: 0, cost_usd: 0 });
  });

  it("sends an OAuth credential as Bearer with the oauth beta", async () => {
    const s = await sessionWith("oauth_token");
    const response = await gateway(`${s.baseUrl}/v1/messages?beta=true`, { token: s.gatewayToken, body: messagesBody("Hello, Max", true) });
    expect(response.status).toBe(200);
    await response.text();
    const [received] = await receivedWith(s.secret);
    expect(received!.headers.authorization).toBe(`Bearer ${s.secret}`);
    expect(received!.headers["x-api-key"]).toBeUndefined();
    expect(received!.headers["anthropic-beta"]!.split(",")).toEqual(["claude-code-20250219", OAUTH_BETA]);
  });

  it("streams the answer as it comes instead of buffering it", async () => {
    const s = await sessionWith("api_key");
    // The model server sends a text in 4 deltas, 250 ms apart.
    const body = JSON.stringify({
      model: MODEL,
      max_tokens: 1024,
      stream: true,
      messages: [{ role: "user", content: "[[scenario:slow chunks=4 delay=250]]" }],
    });
    const started = Date.now();
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body });
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    expect(new TextDecoder().decode(first.value)).toContain("message_start");
    while (!(await reader.read()).done);
    const endAt = Date.now() - started;
    expect(endAt - firstAt).toBeGreaterThanOrEqual(600);
  });

  it("forwards count_tokens without metering it, and answers the probe itself", async () => {
    const s = await sessionWith("api_key");
    const counted = await gateway(`${s.baseUrl}/v1/messages/count_tokens?beta=true`, {
      token: s.gatewayToken,
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "count me" }] }),
    });
    expect(counted.status).toBe(200);
    expect(await counted.json()).toEqual({ input_tokens: expect.any(Number) });

    for (const method of ["HEAD", "GET"]) {
      const probe = await gateway(`${s.baseUrl}/api/hello`, { method, token: null });
      expect(probe.status, method).toBe(200);
      await probe.arrayBuffer();
    }
    const usage = await usageOf(s.id, s.token, () => true);
    expect(usage.input_tokens).toBe(0);
  });

  it("serves only its allow-list: other paths 404, other methods 405, unknown sessions 401", async () => {
    const s = await sessionWith("api_key");
    for (const [method, path] of [
      ["GET", "/v1/models"],
      ["POST", "/v1/complete"],
      ["POST", "/v1/messages/batches"],
      ["POST", "/v1/messages/../complete"],
      ["POST", ""],
    ]) {
      const response = await gateway(`${s.baseUrl}${path}`, { method, token: s.gatewayToken, body: method === "GET" ? undefined : "{}" });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await response.json<any>()).error.type).toBe("not_found_error");
    }
    const get = await gateway(`${s.baseUrl}/v1/messages`, { method: "GET", token: s.gatewayToken });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const unknown = await gateway(`http://platform.test/v1/gateway/sessions/no-such-session/v1/messages`, {
      token: s.gatewayToken,
      body: messagesBody("x", false),
    });
    expect(unknown.status).toBe(401);
    expect(await receivedWith(s.secret)).toHaveLength(0);
  });

  it("refuses calls of an ended session with 403 permission_error", async () => {
    const s = await sessionWith("api_key");
    expect((await call("DELETE", `/v1/sessions/${s.id}`, { token: s.token })).status).toBe(200);
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("too late", true) });
    expect(response.status).toBe(403);
    expect((await response.json<any>()).error.type).toBe("permission_error");
    expect(await receivedWith(s.secret)).toHaveLength(0);
  });

  it("refuses calls while the session's runner is gone (503, retried), and forwards again once it is back", async () => {
    const s = await sessionWith("api_key");
    const first = await runnerSocket(s.id);
    first.close();
    await first.closed(); // the DO has seen it go (it echoes the close)
    // Not yet known to be dead or alive: the check whether its process ended is a minute off,
    // so the alarm cannot settle it under the test's feet.
    await backdate(s.id, (state) => (state.runnerCheckAt = Date.now() + 60_000));
    const refused = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("nobody listens", true) });
    expect(refused.status).toBe(503);
    expect((await refused.json<any>()).error).toMatchObject({ type: "api_error", message: "the session's runner is not connected" });
    expect(await receivedWith(s.secret)).toHaveLength(0);

    const second = await runnerSocket(s.id, "runner-2");
    const admitted = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("back again", false) });
    expect(admitted.status).toBe(200);
    expect(await receivedWith(s.secret)).toHaveLength(1);
    second.close();
  });

  it("stops forwarding once the session's budget is spent", async () => {
    // One scripted call costs about $0.00008 (some 18 input and 2 output tokens at Sonnet's
    // price), so the first call spends a $0.00001 budget.
    const budget = 0.00001;
    const s = await sessionWith("api_key", { max_budget_usd: budget });
    const first = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("spend it", true) });
    expect(first.status).toBe(200);
    await first.text();
    expect((await usageOf(s.id, s.token, (u) => u.cost_usd > 0)).cost_usd).toBeGreaterThanOrEqual(budget);
    // Spending the budget ends the session (end_reason completed); wait for that, then the
    // refusal is the ended session's.
    await recordOf(s.id, s.token, (r) => r.status === "ended" && r.end_reason === "completed");
    const second = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("one more", true) });
    expect(second.status).toBe(403);
    expect((await second.json<any>()).error.type).toBe("permission_error");
    expect(await receivedWith(s.secret)).toHaveLength(1);
  });

  it("refuses when the user has no credential any more, and bodies over the cap with 413", async () => {
    const s = await sessionWith("api_key");
    const tooBig = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: new Uint8Array(MAX_GATEWAY_BODY_BYTES + 1) });
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json<any>()).error.type).toBe("invalid_request_error");

    expect((await call("DELETE", "/v1/auth/claude", { token: s.token })).body).toEqual({ deleted: true });
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("no key", true) });
    expect(response.status).toBe(401);
    expect((await response.json<any>()).error).toEqual({
      type: "authentication_error",
      message: expect.stringContaining("no Claude credential"),
    });
    expect(await receivedWith(s.secret)).toHaveLength(0);
  });

  it("forwards a body of declared length whole, with its length", async () => {
    const s = await sessionWith("api_key");
    const body = messagesBody(`declared ${"x".repeat(60_000)}`, false); // about Claude Code's request size
    const response = await gateway(`${s.baseUrl}/v1/messages`, {
      token: s.gatewayToken,
      body,
      headers: { "content-length": String(body.length) },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const [received] = await receivedWith(s.secret);
    expect(received!.headers["content-length"]).toBe(String(body.length));
    expect(received!.headers["transfer-encoding"]).toBeUndefined();
    expect(JSON.stringify(received!.body)).toBe(body);
  });

  it("streams the request body upstream and answers 413 when a body without a declared length goes past the cap", async () => {
    const s = await sessionWith("api_key");
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Never ends: the gateway must stop reading it.
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: endless });
    expect(response.status).toBe(413);
    expect((await response.json<any>()).error).toEqual({
      type: "invalid_request_error",
      message: `request body exceeds ${MAX_GATEWAY_BODY_BYTES} bytes`,
    });
    // It stopped at the cap (give or take what was in flight), and no complete request went upstream.
    expect(sent).toBeLessThan(MAX_GATEWAY_BODY_BYTES + 8 * chunk.byteLength);
    expect((await receivedWith(s.secret)).filter((request) => request.status === 200)).toHaveLength(0);
    // The refused call gave its slot back: the next one is served.
    const next = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("after the big one", false) });
    expect(next.status).toBe(200);
    await next.arrayBuffer();
  });

  it("answers a made-up session id from the index, without creating a Durable Object for it", async () => {
    const s = await sessionWith("api_key");
    const unknownId = `no-such-${crypto.randomUUID()}`;
    const response = await gateway(`http://platform.test/v1/gateway/sessions/${unknownId}/v1/messages`, {
      token: s.gatewayToken,
      body: messagesBody("x", false),
    });
    expect(response.status).toBe(401);
    expect((await response.json<any>()).error.type).toBe("authentication_error");
    const stored = (await listDurableObjectIds(env.SESSION)).map((id) => id.toString());
    expect(stored).toContain(env.SESSION.idFromName(s.id).toString());
    expect(stored).not.toContain(env.SESSION.idFromName(unknownId).toString());
  });

  it("passes upstream errors through unchanged and records no usage for them", async () => {
    const s = await sessionWith("api_key");
    const body = JSON.stringify({
      model: MODEL,
      max_tokens: 1024,
      stream: true,
      messages: [{ role: "user", content: '[[scenario:error status=529 message="overloaded, try later"]]' }],
    });
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body });
    expect(response.status).toBe(529);
    expect(response.headers.get("request-id")).toMatch(/^req_model_server_/);
    expect((await response.json<any>()).error).toEqual({ type: "overloaded_error", message: "overloaded, try later" });
    const usage = await usageOf(s.id, s.token, () => true);
    expect(usage.cost_usd).toBe(0);
  });

  it("tells watching clients what each call cost with a usage_delta event, in step with the record", async () => {
    const s = await sessionWith("api_key");
    const client = await clientSocket(s.id, s.token);
    await client.next("history");
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("metered for watchers", true) });
    expect(response.status).toBe(200);
    await response.text();
    const delta = await client.next("usage_delta");
    expect(delta.seq).toBeGreaterThan(0);
    const usage = await usageOf(s.id, s.token, (u) => u.output_tokens > 0);
    expect(delta.payload).toMatchObject({
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      total_cost_usd: usage.cost_usd,
    });
    expect(delta.payload.cost_usd).toBeCloseTo(usage.cost_usd, 10);
    client.close();
  });
});

describe("OAuth refresh in the gateway", () => {
  /** A session whose owner's OAuth token expired a minute ago, with `refreshToken` to renew it. */
  async function expiredOAuthSession(refreshToken: string) {
    const { user, token } = await registeredUser();
    const stale = `sk-ant-oat01-stale-${crypto.randomUUID()}`;
    await storeCredential(
      env.DB,
      await keyringFrom(env),
      user.sub,
      { type: "oauth_token", access_token: stale, refresh_token: refreshToken, expires_at: new Date(Date.now() - 60_000).toISOString() },
      new Date().toISOString(),
    );
    const id = await createSession(token);
    const sandbox = await recordedSandbox(id);
    return { token, stale, baseUrl: sandbox.env.GATEWAY_URL!, gatewayToken: sandbox.env.GATEWAY_TOKEN! };
  }

  it("refreshes an expiring token at the token endpoint, stores the new one sealed, and uses it", async () => {
    const serial = 1000 + Math.floor(Math.random() * 1e6);
    const s = await expiredOAuthSession(`refresh-${serial}`);
    const first = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("after refresh", false) });
    expect(first.status).toBe(200);
    const fresh = `sk-ant-oat01-refreshed-${serial + 1}`;
    expect((await receivedWith(fresh)).length).toBe(1);
    expect(await receivedWith(s.stale)).toEqual([]);
    // The refreshed token is stored (not expiring now), so the next call does not refresh again.
    const second = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("again", false) });
    expect(second.status).toBe(200);
    expect((await receivedWith(fresh)).length).toBe(2);
    expect((await call("GET", "/v1/auth/claude/status", { token: s.token })).body.credential_type).toBe("oauth_token");
  });

  it("falls back to the stored token when the refresh is refused", async () => {
    const s = await expiredOAuthSession("not-a-valid-refresh-token");
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("stale", false) });
    expect(response.status).toBe(200); // the scripted model accepts any key; the real API would answer 401
    expect((await receivedWith(s.stale)).length).toBe(1);
  });
});
