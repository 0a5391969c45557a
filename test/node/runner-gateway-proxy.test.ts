// The runner's loopback proxy to the model gateway (container/runner/gateway-proxy.ts) over
// real sockets: it adds the token only it holds, replaces whatever credential the caller sent,
// streams both ways, and never lets a path climb out of the gateway's prefix.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayProxy, upstreamTarget, type GatewayProxy } from "../../container/runner/gateway-proxy.ts";
import { takeRunnerSecrets } from "../../container/runner/secrets.ts";
import { createLogger } from "../../container/runner/log.ts";

const TOKEN = "gt_only-the-runner-has-this";

/** A stand-in platform that records what reached it and echoes it back. */
let platform: http.Server;
let platformUrl: string;
const seen: { url: string; authorization: string | undefined; apiKey: string | undefined; body: string }[] = [];
let proxy: GatewayProxy;

beforeAll(async () => {
  platform = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      seen.push({
        url: req.url ?? "",
        authorization: req.headers.authorization,
        apiKey: req.headers["x-api-key"] as string | undefined,
        body,
      });
      res.writeHead(200, { "content-type": "application/json", "request-id": "req_1" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => platform.listen(0, "127.0.0.1", resolve));
  platformUrl = `http://127.0.0.1:${(platform.address() as AddressInfo).port}/v1/gateway/sessions/sess_1`;
  proxy = await startGatewayProxy({ gatewayUrl: platformUrl, token: TOKEN, log: createLogger("test", "error") });
});
afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => platform?.close(resolve));
});

describe("gateway proxy", () => {
  it("listens on loopback, swaps the caller's credential for the runner's token, and passes body and answer through", async () => {
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${proxy.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { authorization: "Bearer stolen-or-made-up", "x-api-key": "sk-ant-not-this", "content-type": "application/json" },
      body: '{"hello":"model"}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("request-id")).toBe("req_1");
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({
      url: "/v1/gateway/sessions/sess_1/v1/messages?beta=true",
      authorization: `Bearer ${TOKEN}`,
      apiKey: undefined,
      body: '{"hello":"model"}',
    });
  });

  it("refuses paths that would leave the gateway's prefix, however they are spelled", async () => {
    const before = seen.length;
    for (const path of ["/../../../v1/sessions", "/%2e%2e/%2e%2e/%2e%2e/v1/sessions", "/v1/../../other/v1/messages"]) {
      const response = await fetch(`${proxy.url}${path}`, { method: "POST", body: "{}" });
      // fetch itself may normalise the dots away; what reaches the platform must stay under the prefix.
      await response.arrayBuffer();
    }
    for (const request of seen.slice(before)) expect(request.url.startsWith("/v1/gateway/sessions/sess_1/")).toBe(true);
    expect(upstreamTarget(platformUrl, "/../../v1/sessions")).toBeNull();
    expect(upstreamTarget(platformUrl, "/%2e%2e/%2E%2E/%2e%2e/v1/sessions")).toBeNull();
    expect(upstreamTarget(platformUrl, "http://evil.example/v1/messages")).toBeNull();
    expect(upstreamTarget(platformUrl, "//evil.example/v1/messages")).toBeNull();
    expect(upstreamTarget(platformUrl, "/v1/messages")?.pathname).toBe("/v1/gateway/sessions/sess_1/v1/messages");
  });

  it("answers 502 in Anthropic's shape when the gateway cannot be reached", async () => {
    const dead = await startGatewayProxy({
      gatewayUrl: "http://127.0.0.1:9/v1/gateway/sessions/x",
      token: TOKEN,
      log: createLogger("test", "error"),
    });
    try {
      const response = await fetch(`${dead.url}/v1/messages`, { method: "POST", body: "{}" });
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe("api_error");
    } finally {
      await dead.close();
    }
  });
});

describe("takeRunnerSecrets: the gateway token", () => {
  it("comes with the runner token from the environment, and both variables are removed", () => {
    const env: NodeJS.ProcessEnv = { RUNNER_TOKEN: "rt", GATEWAY_TOKEN: "gt", OTHER: "kept" };
    expect(takeRunnerSecrets(env)).toEqual({ runnerToken: "rt", gatewayToken: "gt", source: "env" });
    expect(env).toEqual({ OTHER: "kept" });
  });
});
