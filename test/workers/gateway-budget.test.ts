/**
 * The gateway's hold on spending, inside workerd against the scripted model server: a call cut
 * short is still charged what it streamed, parallel calls cannot all spend the same unspent
 * budget, and one session has a bounded number of upstream calls open at once.
 */
import { describe, expect, it } from "vitest";
import { MAX_CONCURRENT_MODEL_CALLS } from "../../durable-objects/session/model-calls.ts";
import { MODEL, gateway, messagesBody, receivedWith, sessionWith, usageOf } from "./gateway-helpers.ts";

/** A streamed answer of `chunks` text deltas, `delay` ms apart. */
function slowBody(chunks: number, delay: number): string {
  return JSON.stringify({
    model: MODEL,
    max_tokens: 1024,
    stream: true,
    messages: [{ role: "user", content: `[[scenario:slow chunks=${chunks} delay=${delay}]]` }],
  });
}

/** The text of every content delta in an event stream the client received. */
function streamedText(sse: string): string {
  return sse
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line.includes('"content_block_delta"'))
    .map((line) => JSON.parse(line.slice("data: ".length)).delta.text as string)
    .join("");
}

/** Reads a streamed answer until `enough` holds for what arrived; the stream stays open. */
async function readUntil(
  response: Response,
  enough: (sse: string) => boolean,
): Promise<{ reader: ReadableStreamDefaultReader<Uint8Array>; sse: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let sse = "";
  while (!enough(sse)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before the expected content: ${sse}`);
    sse += decoder.decode(value, { stream: true });
  }
  return { reader, sse };
}

describe("model gateway budget", () => {
  it("charges a stream cancelled before message_delta for what it streamed, not the 1 token message_start announces", async () => {
    const s = await sessionWith("api_key");
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: slowBody(40, 50) });
    expect(response.status).toBe(200);
    const { reader, sse } = await readUntil(response, (text) => text.includes("chunk 20/40"));
    await reader.cancel("interrupted");
    expect(sse).not.toContain("message_delta");
    const seen = new TextEncoder().encode(streamedText(sse)).byteLength;
    expect(seen).toBeGreaterThan(200);

    const usage = await usageOf(s.id, s.token, (u) => u.output_tokens > 0);
    expect(usage.output_tokens).toBeGreaterThanOrEqual(seen);
    expect(usage.cost_usd).toBeGreaterThanOrEqual((seen * 15) / 1_000_000);
  });

  it("lets only one of several parallel calls spend a budget that covers one", async () => {
    const s = await sessionWith("api_key", { max_budget_usd: 0.00001 });
    // The first call is admitted and held open: it has reserved the whole budget.
    const first = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: slowBody(10, 300) });
    expect(first.status).toBe(200);
    const open = await readUntil(first, (text) => text.includes("message_start"));

    const parallel = await Promise.all(
      Array.from({ length: 5 }, () => gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("me too", false) })),
    );
    for (const response of parallel) {
      expect(response.status).toBe(429);
      expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      const body = await response.json<any>();
      expect(body.error.type).toBe("rate_limit_error");
      expect(body.error.message).toContain("reserved");
    }
    while (!(await open.reader.read()).done);
    expect((await usageOf(s.id, s.token, (u) => u.cost_usd > 0)).cost_usd).toBeGreaterThan(0);
    expect(await receivedWith(s.secret)).toHaveLength(1);
  });

  it(`caps a session at ${MAX_CONCURRENT_MODEL_CALLS} upstream calls at once, and frees a slot when one ends`, async () => {
    const s = await sessionWith("api_key");
    const open = [];
    for (let i = 0; i < MAX_CONCURRENT_MODEL_CALLS; i++) {
      const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: slowBody(10, 500) });
      expect(response.status, `call ${i + 1}`).toBe(200);
      open.push(await readUntil(response, (text) => text.includes("message_start")));
    }
    const refused = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("one too many", false) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await refused.json<any>()).error).toEqual({
      type: "rate_limit_error",
      message: expect.stringContaining(`at most ${MAX_CONCURRENT_MODEL_CALLS}`),
    });
    expect(await receivedWith(s.secret)).toHaveLength(MAX_CONCURRENT_MODEL_CALLS);

    // Reading one answer to its end settles it (in the background): a slot opens again.
    const done = open.shift()!;
    while (!(await done.reader.read()).done);
    let admitted: Response | null = null;
    for (let attempt = 0; attempt < 100 && !admitted; attempt++) {
      const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("my turn", false) });
      if (response.status === 200) admitted = response;
      else {
        expect(response.status).toBe(429);
        await response.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    expect(admitted?.status).toBe(200);
    await admitted!.arrayBuffer();
    for (const { reader } of open) await reader.cancel("done");
  });

  it("gives the slot back at once when a call fails, so failures never exhaust the cap", async () => {
    const s = await sessionWith("api_key");
    const failing = JSON.stringify({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: "user", content: "[[scenario:error status=529]]" }],
    });
    for (let i = 0; i <= MAX_CONCURRENT_MODEL_CALLS; i++) {
      const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: failing });
      expect(response.status, `call ${i + 1}`).toBe(529);
      await response.arrayBuffer();
    }
    const ok = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("still served", false) });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });
});
