import { describe, expect, it } from "vitest";
import { meteredBody } from "../../worker/gateway/metered-stream.ts";
import { MAX_SSE_LINE_CHARS, SseParser, type SseEvent } from "../../worker/gateway/sse-parser.ts";
import { UsageMeter, type MeteredCall } from "../../worker/gateway/usage-meter.ts";

/**
 * A streamed answer as the Messages API sends it: pings, a multi-byte text (so a chunk can
 * end inside a UTF-8 character), prompt caching with a 1-hour write, and cumulative counts
 * in `message_delta`.
 */
const RECORDED_SSE = [
  "event: message_start",
  'data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":2048,"cache_read_input_tokens":15360,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":2048},"output_tokens":2,"service_tier":"standard"}}}',
  "",
  "event: content_block_start",
  'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
  "",
  "event: ping",
  'data: {"type": "ping"}',
  "",
  ": a keep-alive comment",
  "",
  "event: content_block_delta",
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Grüße — 你好 🌍"}}',
  "",
  "event: content_block_stop",
  'data: {"type":"content_block_stop","index":0}',
  "",
  "event: message_delta",
  'data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":2048,"cache_read_input_tokens":15360,"output_tokens":89}}',
  "",
  "event: message_stop",
  'data: {"type":"message_stop"}',
  "",
  "",
].join("\n");

const EXPECTED: MeteredCall = {
  model: "claude-sonnet-4-5-20250929",
  usage: {
    input_tokens: 472,
    output_tokens: 89,
    cache_creation_input_tokens: 2048,
    cache_read_input_tokens: 15360,
    cache_creation_1h_input_tokens: 2048,
  },
};

const bytes = (text: string) => new TextEncoder().encode(text);

/** UTF-8 bytes of the recorded stream's one text delta, "Grüße — 你好 🌍". */
const STREAMED_TEXT_BYTES = 23;

/** Feeds `data` to a fresh meter in the given chunks. */
function meter(format: "sse" | "json", chunks: Uint8Array[]): MeteredCall | null {
  const m = new UsageMeter(format);
  for (const chunk of chunks) m.push(chunk);
  return m.finish();
}

/** Splits `data` at the given offsets. */
function splitAt(data: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [0, ...offsets, data.length];
  return points.slice(1).map((end, i) => data.slice(points[i], end));
}

/** A deterministic pseudo-random generator (a test failure must be reproducible). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

describe("usage meter on a streamed answer", () => {
  const data = bytes(RECORDED_SSE);

  it("reads usage from the whole stream in one chunk", () => {
    expect(meter("sse", [data])).toEqual(EXPECTED);
  });

  it("gives the same answer whatever byte the stream is split at", () => {
    for (let at = 0; at <= data.length; at++) expect(meter("sse", splitAt(data, [at])), `split at ${at}`).toEqual(EXPECTED);
  });

  it("gives the same answer one byte at a time, and in random chunkings", () => {
    expect(
      meter(
        "sse",
        splitAt(
          data,
          Array.from({ length: data.length - 1 }, (_, i) => i + 1),
        ),
      ),
    ).toEqual(EXPECTED);
    const random = lcg(42);
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * data.length)).sort((a, b) => a - b);
      expect(meter("sse", splitAt(data, cuts)), `cuts ${cuts}`).toEqual(EXPECTED);
    }
  });

  it("understands CRLF and CR line breaks, even when a chunk ends between CR and LF", () => {
    for (const lineBreak of ["\r\n", "\r"]) {
      const variant = bytes(RECORDED_SSE.replaceAll("\n", lineBreak));
      for (let at = 0; at <= variant.length; at++)
        expect(meter("sse", splitAt(variant, [at])), `${JSON.stringify(lineBreak)} at ${at}`).toEqual(EXPECTED);
    }
  });

  it("keeps message_start's counts when message_delta leaves them null", () => {
    const older = RECORDED_SSE.replace(
      '"usage":{"input_tokens":472,"cache_creation_input_tokens":2048,"cache_read_input_tokens":15360,"output_tokens":89}',
      '"usage":{"input_tokens":null,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":89}',
    );
    expect(older).not.toBe(RECORDED_SSE);
    expect(meter("sse", [bytes(older)])).toEqual(EXPECTED);
  });

  it("reports what was seen when the stream is cut off after message_start", () => {
    const cut = bytes(RECORDED_SSE.slice(0, RECORDED_SSE.indexOf("event: content_block_delta")));
    expect(meter("sse", [cut])).toEqual({ ...EXPECTED, usage: { ...EXPECTED.usage, output_tokens: 2 } });
  });

  it("reports nothing for a stream without message_start, and survives garbage", () => {
    expect(meter("sse", [bytes("event: ping\ndata: {}\n\n")])).toBeNull();
    expect(meter("sse", [bytes("event: message_start\ndata: {not json\n\n")])).toBeNull();
    expect(meter("sse", [])).toBeNull();
  });

  it("skips a garbled event and keeps the counts already seen", () => {
    const garbled = RECORDED_SSE.replace('data: {"type":"message_delta"', 'data: {"type":"message_delta"!');
    // Without its final counts, the call is charged the bytes it streamed.
    expect(meter("sse", [bytes(garbled)])).toEqual({ ...EXPECTED, usage: { ...EXPECTED.usage, output_tokens: STREAMED_TEXT_BYTES } });
  });

  it("charges the UTF-8 bytes of the streamed content when the stream ends before message_delta", () => {
    const cut = bytes(RECORDED_SSE.slice(0, RECORDED_SSE.indexOf("event: message_delta")));
    expect(meter("sse", [cut])).toEqual({ ...EXPECTED, usage: { ...EXPECTED.usage, output_tokens: STREAMED_TEXT_BYTES } });
    // Tool input and thinking are generated content too; a thinking block's signature is not.
    const deltas = [
      { type: "input_json_delta", partial_json: '{"command":"ls"}' },
      { type: "thinking_delta", thinking: "hmm" },
      { type: "signature_delta", signature: "x".repeat(500) },
    ].map((delta) => `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 1, delta })}\n\n`);
    const withTools = bytes(RECORDED_SSE.slice(0, RECORDED_SSE.indexOf("event: message_delta")) + deltas.join(""));
    expect(meter("sse", [withTools])!.usage.output_tokens).toBe(STREAMED_TEXT_BYTES + '{"command":"ls"}'.length + "hmm".length);
  });

  it("trusts message_delta's count once the end arrived, however little was streamed", () => {
    expect(meter("sse", [bytes(RECORDED_SSE.replace('"output_tokens":89}', '"output_tokens":3}'))])!.usage.output_tokens).toBe(3);
  });

  it("reads usage from a stream whose events carry no names", () => {
    const unnamed = RECORDED_SSE.split("\n")
      .filter((line) => !line.startsWith("event:"))
      .join("\n");
    expect(meter("sse", [bytes(unnamed)])).toEqual(EXPECTED);
  });
});

describe("usage meter on a JSON answer", () => {
  const message = {
    id: "msg_01",
    type: "message",
    role: "assistant",
    model: "claude-haiku-4-5-20251001",
    content: [{ type: "text", text: "Bonjour à tous 👋" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 12,
      output_tokens: 7,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: 3,
      cache_creation: null,
      service_tier: "standard",
    },
  };
  const data = bytes(JSON.stringify(message));
  const expected = {
    model: "claude-haiku-4-5-20251001",
    usage: {
      input_tokens: 12,
      output_tokens: 7,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 3,
      cache_creation_1h_input_tokens: 0,
    },
  };

  it("reads model and usage, whatever byte the body is split at", () => {
    for (let at = 0; at <= data.length; at++) expect(meter("json", splitAt(data, [at])), `split at ${at}`).toEqual(expected);
  });

  it("reports nothing for a body that is not a message", () => {
    expect(meter("json", [bytes("{}")])).toBeNull();
    expect(meter("json", [bytes("<html>")])).toBeNull();
  });
});

describe("SSE parser", () => {
  function parse(text: string): SseEvent[] {
    const parser = new SseParser();
    return [...parser.push(bytes(text)), ...parser.end()];
  }

  it("joins data lines, defaults the name, strips one leading space, and drops an unterminated last event", () => {
    expect(parse("data: a\ndata:  b\n\nevent: x\ndata:c\n\ndata: lost")).toEqual([
      { event: "message", data: "a\n b" },
      { event: "x", data: "c" },
    ]);
  });

  it("skips an over-long line without buffering it, and keeps parsing after it", () => {
    const huge = "x".repeat(MAX_SSE_LINE_CHARS + 10);
    const parser = new SseParser();
    const events = [
      ...parser.push(bytes("event: content_block_start\ndata: ")),
      ...parser.push(bytes(huge.slice(0, MAX_SSE_LINE_CHARS / 2))),
      ...parser.push(bytes(huge.slice(MAX_SSE_LINE_CHARS / 2))),
      ...parser.push(bytes("\n\nevent: message_delta\ndata: ok\n\n")),
    ];
    expect(events).toEqual([{ event: "message_delta", data: "ok" }]);
  });
});

describe("metered body", () => {
  /** A source that hands out `chunks` on demand and records whether it was cancelled. */
  function source(chunks: Uint8Array[]) {
    const state = { cancelled: false, pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks[state.pulled++];
        if (next) controller.enqueue(next);
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    });
    return { stream, state };
  }

  it("passes every byte through unchanged and resolves the usage at the end", async () => {
    const data = bytes(RECORDED_SSE);
    const { stream } = source(splitAt(data, [10, 500, 501, 900]));
    const metered = meteredBody(stream, new UsageMeter("sse"));
    expect(new Uint8Array(await new Response(metered.body).arrayBuffer())).toEqual(data);
    expect(await metered.usage).toEqual(EXPECTED);
  });

  it("hands out each chunk before the source ends (no buffering)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(bytes("event: ping\ndata: {}\n\n"));
        await gate;
        controller.close();
      },
    });
    const metered = meteredBody(stream, new UsageMeter("sse"));
    const reader = metered.body.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("event: ping\ndata: {}\n\n");
    release();
    expect((await reader.read()).done).toBe(true);
    expect(await metered.usage).toBeNull();
  });

  it("holds the answer's closing bytes until the call is settled, so the turn cannot end before its cost is recorded", async () => {
    const data = bytes(RECORDED_SSE);
    const deltaAt = bytes(RECORDED_SSE.slice(0, RECORDED_SSE.indexOf("event: message_delta"))).byteLength; // in bytes: the text has multi-byte characters
    const { stream } = source([data.slice(0, deltaAt), data.slice(deltaAt)]);
    let release!: () => void;
    const settled: (MeteredCall | null)[] = [];
    const metered = meteredBody(stream, new UsageMeter("sse"), (call) => {
      settled.push(call);
      return new Promise<void>((resolve) => (release = resolve));
    });
    const reader = metered.body.getReader();
    const decoder = new TextDecoder();
    let received = decoder.decode((await reader.read()).value, { stream: true });
    expect(received).not.toContain("message_delta");
    // The rest (message_delta, message_stop) comes only once the settlement has been made.
    let released = false;
    const rest = reader.read().then((chunk) => ({ chunk, afterRelease: released }));
    await expect.poll(() => settled.length).toBe(1);
    expect(settled[0]).toEqual(EXPECTED);
    released = true;
    release();
    const { chunk, afterRelease } = await rest;
    expect(afterRelease).toBe(true);
    received += decoder.decode(chunk.value);
    expect(received).toBe(RECORDED_SSE);
    expect((await reader.read()).done).toBe(true);
    expect(await metered.usage).toEqual(EXPECTED);
  });

  for (const [ending, answer] of [
    ["LF", RECORDED_SSE],
    ["CRLF", RECORDED_SSE.replaceAll("\n", "\r\n")],
  ] as const) {
    it(`hands out the content before the final counts at once when one read carries both, and holds the counts and the end (${ending})`, async () => {
      const deltaAt = answer.indexOf("event: message_delta");
      const { stream } = source([bytes(answer)]); // the whole answer in one read, as a short answer's end often comes
      let release: (() => void) | undefined;
      const metered = meteredBody(stream, new UsageMeter("sse"), () => new Promise<void>((resolve) => (release = resolve)));
      const reader = metered.body.getReader();
      const decoder = new TextDecoder();
      // Read while the settlement is still pending: everything up to the counts, the closed content block included.
      const first = decoder.decode((await reader.read()).value, { stream: true });
      expect(first).toBe(answer.slice(0, deltaAt));
      expect(first).toContain("content_block_stop");
      let released = false;
      const rest = reader.read().then((chunk) => ({ chunk, afterRelease: released }));
      await expect.poll(() => release !== undefined).toBe(true);
      released = true;
      release!();
      const { chunk, afterRelease } = await rest;
      expect(afterRelease).toBe(true);
      expect(first + decoder.decode(chunk.value)).toBe(answer);
      expect((await reader.read()).done).toBe(true);
      expect(await metered.usage).toEqual(EXPECTED);
    });
  }

  it("passes every byte of an answer cut inside its lines and characters through unchanged", async () => {
    const data = bytes(RECORDED_SSE);
    for (const cuts of [[1], [7, 8, 9], [3, 250, 251, 252, 700], Array.from({ length: 60 }, (_, i) => i * 17 + 5)]) {
      const { stream } = source(
        splitAt(
          data,
          cuts.filter((cut) => cut < data.byteLength),
        ),
      );
      const metered = meteredBody(stream, new UsageMeter("sse"));
      expect(new Uint8Array(await new Response(metered.body).arrayBuffer())).toEqual(data);
      expect(await metered.usage).toEqual(EXPECTED);
    }
  });

  it("cancels the source when the client goes away, and still reports what it saw", async () => {
    const data = bytes(RECORDED_SSE);
    const startEnd = RECORDED_SSE.indexOf("event: content_block_start");
    const { stream, state } = source([data.slice(0, startEnd), data.slice(startEnd)]);
    const metered = meteredBody(stream, new UsageMeter("sse"));
    const reader = metered.body.getReader();
    await reader.read();
    await reader.cancel("client gone");
    expect(await metered.usage).toEqual({ ...EXPECTED, usage: { ...EXPECTED.usage, output_tokens: 2 } });
    expect(state.cancelled).toBe(true);
  });
});
