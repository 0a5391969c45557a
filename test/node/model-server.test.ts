// The scripted model server over HTTP, driven by the official Anthropic SDK and plain fetch.
import Anthropic from "@anthropic-ai/sdk";
import type { MessageCreateParams, MessageParam } from "@anthropic-ai/sdk/resources/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countInputTokens, tokensOf } from "../../model-server/message.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";

let server: ModelServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startModelServer();
  client = new Anthropic({ baseURL: server.url, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

const bashTool = {
  name: "Bash",
  description: "Run a command",
  input_schema: { type: "object" as const, properties: { command: { type: "string" } } },
};

describe("SDK client", () => {
  it("streams a text scenario with exact usage", async () => {
    const params: MessageCreateParams = {
      model: "any-model-name",
      max_tokens: 1000,
      messages: [{ role: "user", content: '[[scenario:text text="Hello, streaming world!"]]' }],
    };
    const deltas: string[] = [];
    const stream = client.messages.stream(params).on("text", (delta) => deltas.push(delta));
    const message = await stream.finalMessage();

    expect(message.content).toEqual([{ type: "text", text: "Hello, streaming world!", citations: null }]);
    expect(deltas.length).toBeGreaterThan(1); // really streamed in pieces
    expect(deltas.join("")).toBe("Hello, streaming world!");
    expect(message.stop_reason).toBe("end_turn");
    expect(message.model).toBe("any-model-name");
    expect(message.usage.input_tokens).toBe(countInputTokens({ ...params, stream: true }));
    expect(message.usage.output_tokens).toBe(tokensOf("Hello, streaming world!"));
    expect(server.requests.at(-1)?.apiKey).toBe("x");
    expect(server.requests.at(-1)?.scenario).toBe("text");
  });

  it("streams a bash tool_use, then quotes the tool result", async () => {
    const prompt: MessageParam = { role: "user", content: 'please [[scenario:bash command="echo hi > out.txt"]]' };
    const first = await client.messages.stream({ model: "m", max_tokens: 1000, tools: [bashTool], messages: [prompt] }).finalMessage();

    expect(first.stop_reason).toBe("tool_use");
    const toolUse = first.content[0];
    expect(toolUse?.type).toBe("tool_use");
    if (toolUse?.type !== "tool_use") return;
    expect(toolUse.name).toBe("Bash");
    expect(toolUse.input).toMatchObject({ command: "echo hi > out.txt" });
    expect(toolUse.id).toMatch(/^toolu_/);
    expect(first.usage.output_tokens).toBe(tokensOf("Bash" + JSON.stringify(toolUse.input)));

    const second = await client.messages
      .stream({
        model: "m",
        max_tokens: 1000,
        tools: [bashTool],
        messages: [
          prompt,
          { role: "assistant", content: first.content.map((b) => ({ ...b })) as MessageParam["content"] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "the-output-42" }] },
        ],
      })
      .finalMessage();
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content[0]?.type === "text" && second.content[0].text).toContain("the-output-42");
  });

  it("answers stream:false with a JSON message", async () => {
    const message = await client.messages.create({
      model: "m",
      max_tokens: 1000,
      messages: [{ role: "user", content: "[[scenario:text]] echo me" }],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "You said: echo me" });
    expect(message.id).toMatch(/^msg_/);
  });

  it("turns the error scenario into the SDK's typed errors", async () => {
    const attempt = client.messages.create({
      model: "m",
      max_tokens: 1000,
      messages: [{ role: "user", content: '[[scenario:error status=529 message="too busy"]]' }],
    });
    const error: unknown = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    if (!(error instanceof Anthropic.APIError)) return;
    expect(error.status).toBe(529);
    expect(error.error).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "too busy" } });
  });
});

describe("HTTP surface", () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("accepts any query string and records the bearer credential", async () => {
    const before = server.requests.length;
    const res = await post(
      "/v1/messages?beta=true",
      { model: "m", max_tokens: 100, messages: [{ role: "user", content: "[[scenario:text text=ok]]" }] },
      { authorization: "Bearer oauth-token-1" },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { content: unknown[] }).content).toEqual([{ type: "text", text: "ok", citations: null }]);
    expect(server.requests.length).toBe(before + 1);
    expect(server.requests.at(-1)).toMatchObject({ url: "/v1/messages?beta=true", apiKey: "oauth-token-1", method: "POST" });
    expect(server.requests.at(-1)?.headers.authorization).toBe("Bearer oauth-token-1");
  });

  it("sends SSE events in the Messages API order", async () => {
    const res = await post("/v1/messages", {
      model: "m",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: '[[scenario:tool name=Grep input=\'{"pattern":"x"}\']]' }],
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    const types = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(text).toContain('"stop_reason":"tool_use"');
    expect(text).toContain('"type":"input_json_delta"');
  });

  it("serves /api/hello, count_tokens, and 404s in Anthropic's error shape", async () => {
    expect((await fetch(server.url + "/api/hello", { method: "HEAD" })).status).toBe(200);
    expect((await fetch(server.url + "/api/hello")).status).toBe(200);

    const body = { model: "m", messages: [{ role: "user", content: "count me" }] };
    const counted = await post("/v1/messages/count_tokens?beta=true", body);
    expect(await counted.json()).toEqual({ input_tokens: countInputTokens(body as MessageCreateParams) });

    const missing = await fetch(server.url + "/v1/models");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });

    const bad = await fetch(server.url + "/v1/messages", { method: "POST", body: "not json" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("streams the slow scenario chunk by chunk and survives a client abort", async () => {
    const started = Date.now();
    const arrivals: number[] = [];
    const stream = client.messages.stream({
      model: "m",
      max_tokens: 100,
      messages: [{ role: "user", content: "[[scenario:slow chunks=4 delay=100]]" }],
    });
    stream.on("text", () => arrivals.push(Date.now() - started));
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ text: "chunk 1/4 chunk 2/4 chunk 3/4 chunk 4/4" });
    expect(arrivals).toHaveLength(4);
    expect(arrivals[3]! - arrivals[0]!).toBeGreaterThanOrEqual(250); // three gaps of ~100 ms

    const controller = new AbortController();
    const aborted = client.messages.stream(
      { model: "m", max_tokens: 100, messages: [{ role: "user", content: "[[scenario:slow chunks=50 delay=100]]" }] },
      { signal: controller.signal },
    );
    aborted.on("text", () => controller.abort());
    await expect(aborted.finalMessage()).rejects.toThrow();
    // The server stays healthy after the client went away mid-stream.
    expect((await fetch(server.url + "/api/hello")).status).toBe(200);
  });
});

describe("options", () => {
  it("latencyMs delays every response, and port 0 picks distinct free ports", async () => {
    const slow = await startModelServer({ latencyMs: 300 });
    try {
      expect(slow.port).not.toBe(server.port);
      expect(slow.url).toBe(`http://127.0.0.1:${slow.port}`);
      const started = Date.now();
      await fetch(slow.url + "/api/hello");
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await slow.close();
    }
  });
});
