import { describe, expect, it } from "vitest";
import { gatewayTokenOf, refusalResponse } from "../../worker/gateway/admission.ts";
import { BodyTooLarge, MAX_GATEWAY_BODY_BYTES, cappedGatewayBody, type CappedBody } from "../../worker/gateway/request-body.ts";
import { OAUTH_BETA, clientHeaders, upstreamHeaders, upstreamUrl } from "../../worker/gateway/upstream.ts";

const GATEWAY_TOKEN = "gt_sandbox-token-that-must-never-travel-upstream";
const API_KEY = { type: "api_key" as const, api_key: "sk-ant-api03-user-key" };
const OAUTH = { type: "oauth_token" as const, access_token: "sk-ant-oat01-user-token", refresh_token: null, expires_at: null };

/** What Claude Code (and whatever is in the way) sends the gateway. */
function claudeCodeHeaders(extra: Record<string, string> = {}): Headers {
  return new Headers({
    authorization: `Bearer ${GATEWAY_TOKEN}`,
    "x-api-key": GATEWAY_TOKEN,
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
    "content-type": "application/json",
    accept: "application/json",
    "user-agent": "claude-cli/2.1.329 (external, sdk-cli)",
    "x-app": "cli",
    cookie: "session=abc",
    "x-forwarded-for": "10.0.0.7",
    "cf-connecting-ip": "10.0.0.7",
    connection: "keep-alive",
    "proxy-authorization": "Basic Zm9vOmJhcg==",
    ...extra,
  });
}

describe("upstream request headers", () => {
  it("sends an API key as x-api-key and nothing of the sandbox's credentials", () => {
    const headers = upstreamHeaders(claudeCodeHeaders(), API_KEY);
    expect(Object.fromEntries(headers)).toEqual({
      "x-api-key": API_KEY.api_key,
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
      "content-type": "application/json",
      accept: "application/json",
      "user-agent": "claude-cli/2.1.329 (external, sdk-cli)",
      "x-app": "cli",
    });
    expect(JSON.stringify([...headers])).not.toContain(GATEWAY_TOKEN);
  });

  it("sends an OAuth token as Bearer with the oauth beta added once", () => {
    const headers = upstreamHeaders(claudeCodeHeaders({ "anthropic-beta": `claude-code-20250219, ${OAUTH_BETA}` }), OAUTH);
    expect(headers.get("authorization")).toBe(`Bearer ${OAUTH.access_token}`);
    expect(headers.get("x-api-key")).toBeNull();
    expect(headers.get("anthropic-beta")).toBe(`claude-code-20250219,${OAUTH_BETA}`);
    expect(upstreamHeaders(new Headers(), OAUTH).get("anthropic-beta")).toBe(OAUTH_BETA);
  });

  it("passes only betas billed at the priced rates, stripping the rest (1M context, fast mode, unknown ones)", () => {
    const sent = "claude-code-20250219, context-1m-2025-08-07,fast-mode-2026-02-01, effort-2025-11-24,made-up-beta-2030-01-01";
    expect(upstreamHeaders(claudeCodeHeaders({ "anthropic-beta": sent }), API_KEY).get("anthropic-beta")).toBe(
      "claude-code-20250219,effort-2025-11-24",
    );
    expect(upstreamHeaders(claudeCodeHeaders({ "anthropic-beta": "context-1m-2025-08-07" }), API_KEY).get("anthropic-beta")).toBeNull();
    expect(upstreamHeaders(claudeCodeHeaders({ "anthropic-beta": "context-1m-2025-08-07" }), OAUTH).get("anthropic-beta")).toBe(OAUTH_BETA);
  });

  it("drops the oauth beta when the credential is an API key", () => {
    expect(upstreamHeaders(new Headers({ "anthropic-beta": OAUTH_BETA }), API_KEY).get("anthropic-beta")).toBeNull();
  });

  it("builds the URL from the configured base, the allowed path and the query", () => {
    expect(upstreamUrl(undefined, "/v1/messages", "?beta=true")).toBe("https://api.anthropic.com/v1/messages?beta=true");
    expect(upstreamUrl("http://127.0.0.1:8790/", "/v1/messages/count_tokens", "")).toBe("http://127.0.0.1:8790/v1/messages/count_tokens");
    expect(upstreamUrl("https://proxy.example/anthropic", "/v1/messages", "")).toBe("https://proxy.example/anthropic/v1/messages");
  });
});

describe("client response headers", () => {
  it("keeps the API's headers but drops hop-by-hop, cookies and stale framing", () => {
    const upstream = new Headers({
      "content-type": "text/event-stream; charset=utf-8",
      "request-id": "req_011",
      "anthropic-ratelimit-requests-remaining": "49",
      "retry-after": "3",
      "content-encoding": "gzip",
      "content-length": "123",
      "transfer-encoding": "chunked",
      connection: "keep-alive, x-private-hop",
      "x-private-hop": "1",
      "keep-alive": "timeout=5",
      "set-cookie": "__cf_bm=abc",
    });
    expect(Object.fromEntries(clientHeaders(upstream))).toEqual({
      "content-type": "text/event-stream; charset=utf-8",
      "request-id": "req_011",
      "anthropic-ratelimit-requests-remaining": "49",
      "retry-after": "3",
    });
  });
});

describe("gateway token and refusals", () => {
  it("reads the token from Authorization: Bearer, else from x-api-key", () => {
    expect(gatewayTokenOf(new Headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(gatewayTokenOf(new Headers({ authorization: "bearer  abc " }))).toBe("abc");
    expect(gatewayTokenOf(new Headers({ "x-api-key": "xyz" }))).toBe("xyz");
    expect(gatewayTokenOf(new Headers({ authorization: "Basic abc", "x-api-key": "xyz" }))).toBe("xyz");
    expect(gatewayTokenOf(new Headers({ authorization: "Bearer " }))).toBeNull();
    expect(gatewayTokenOf(new Headers())).toBeNull();
  });

  it.each([
    ["bad_token", 401, "authentication_error"],
    ["expired", 401, "authentication_error"],
    ["session_ended", 403, "permission_error"],
    ["runner_gone", 503, "api_error"],
    ["budget_exceeded", 400, "invalid_request_error"],
    ["budget_reserved", 429, "rate_limit_error"],
    ["too_many_calls", 429, "rate_limit_error"],
  ] as const)("answers %s with %i %s in Anthropic's shape", async (reason, status, type) => {
    const response = refusalResponse({ allowed: false, reason, message: "because" });
    expect(response.status).toBe(status);
    const body = await response.json<{ type: string; error: { type: string; message: string } }>();
    expect(body.type).toBe("error");
    expect(body.error.type).toBe(type);
    if (reason === "budget_exceeded") expect(body.error.message).toBe("session budget exceeded: because");
  });

  it("keeps a budget message that already says so", async () => {
    const response = refusalResponse({ allowed: false, reason: "budget_exceeded", message: "session budget of $5 exceeded" });
    expect((await response.json<{ error: { message: string } }>()).error.message).toBe("session budget of $5 exceeded");
  });
});

describe("request body cap", () => {
  async function forwarded(body: CappedBody): Promise<string> {
    return new TextDecoder().decode(await new Response(body.stream).arrayBuffer());
  }

  it("streams a body up to the cap unchanged", async () => {
    const body = cappedGatewayBody(new Request("http://x/", { method: "POST", body: "hello" }), 5)!;
    expect(await forwarded(body)).toBe("hello");
    expect(body.exceeded()).toBe(false);
  });

  it("refuses a declared length past the cap before reading, and cuts off a body that goes past it", async () => {
    const lying = new Request("http://x/", {
      method: "POST",
      body: "x",
      headers: { "content-length": String(MAX_GATEWAY_BODY_BYTES + 1) },
    });
    expect(cappedGatewayBody(lying)).toBeNull();
    const chunks = ["hel", "lo", "!", "never sent"];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const body = cappedGatewayBody(new Request("http://x/", { method: "POST", body: stream, duplex: "half" } as RequestInit), 5)!;
    await expect(forwarded(body)).rejects.toThrow(BodyTooLarge);
    expect(body.exceeded()).toBe(true);
  });
});
