/**
 * Reads a Messages API answer as it streams past and works out what the call used, without
 * holding up a byte of it. Streaming answers (SSE) carry usage in `message_start` (input and
 * cache counts, the model) and `message_delta` (cumulative counts at the end, so they replace
 * rather than add); non-streaming answers are one JSON `Message` with `model` and `usage`.
 *
 * A stream that ends before its `message_delta` (the client cancelled, or the connection
 * dropped) has only `message_start`'s placeholder output count, yet the API bills every token
 * it generated. Such a call is charged the UTF-8 bytes of the content it streamed as output
 * tokens: every token is at least one byte, so this never undercounts what was streamed
 * (it overcounts plain English about fourfold, the price of cutting a call short).
 */
import { concatBytes } from "../http/capped-body.ts";
import type { Message, MessageDeltaUsage, RawMessageStreamEvent, Usage } from "@anthropic-ai/sdk/resources/messages";
import type { TokenUsage } from "./pricing.ts";
import { SseParser } from "./sse-parser.ts";

/** What one call used: the model that answered and its token counts. */
export interface MeteredCall {
  model: string;
  usage: TokenUsage;
}

/** How the answer is encoded: an event stream, or one JSON document. */
export type AnswerFormat = "sse" | "json";

/**
 * Largest non-streaming answer kept in memory to read its usage; a Message that large is
 * far beyond any output limit, so past it the answer is still forwarded but not metered.
 */
export const MAX_METERED_JSON_BYTES = 16 * 1024 * 1024;

/** Watches the bytes of one answer; `push` each chunk, then `finish`. Never throws. */
export class UsageMeter {
  readonly #format: AnswerFormat;
  readonly #sse = new SseParser();
  #jsonChunks: Uint8Array[] = [];
  #jsonBytes = 0;
  #model: string | null = null;
  #usage: TokenUsage | null = null;
  /** Whether the final counts (`message_delta`) arrived. */
  #ended = false;
  /** UTF-8 bytes of the content deltas streamed so far. */
  #streamedBytes = 0;
  #broken = false;

  constructor(format: AnswerFormat) {
    this.#format = format;
  }

  /** Looks at the next chunk of the answer. */
  push(chunk: Uint8Array): void {
    if (this.#broken) return;
    try {
      if (this.#format === "sse") {
        for (const event of this.#sse.push(chunk)) this.#onEvent(event.event, event.data);
      } else {
        this.#jsonBytes += chunk.byteLength;
        if (this.#jsonBytes > MAX_METERED_JSON_BYTES) this.#giveUp();
        // A copy: the chunk itself travels on to the client and is not ours to keep.
        else this.#jsonChunks.push(chunk.slice());
      }
    } catch {
      // A malformed answer must never break the stream it is watching: stop metering instead.
      this.#giveUp();
    }
  }

  /** Whether the answer is an event stream (its final counts come in `message_delta`, before its end). */
  get streamed(): boolean {
    return this.#format === "sse";
  }

  /** Whether the answer's final counts (`message_delta`) have passed: only its closing bytes follow. */
  get counted(): boolean {
    return this.#ended;
  }

  /** The usage seen once the answer ended (or was cut off); null when it carried none. Call once. */
  finish(): MeteredCall | null {
    if (this.#broken) return null;
    try {
      if (this.#format === "sse") for (const event of this.#sse.end()) this.#onEvent(event.event, event.data);
      else this.#onJson();
    } catch {
      return null;
    }
    if (!this.#usage) return null;
    const usage =
      this.#format === "sse" && !this.#ended
        ? { ...this.#usage, output_tokens: Math.max(this.#usage.output_tokens, this.#streamedBytes) }
        : this.#usage;
    return { model: this.#model ?? "unknown", usage };
  }

  #giveUp(): void {
    this.#broken = true;
    this.#jsonChunks = [];
  }

  #onEvent(name: string, data: string): void {
    // These carry usage or content; skipping the rest (pings, block starts and stops) avoids
    // parsing them. Unnamed events ("message") are parsed too, for upstreams that omit `event:`.
    if (name !== "message_start" && name !== "message_delta" && name !== "content_block_delta" && name !== "message") return;
    let event: RawMessageStreamEvent;
    try {
      event = JSON.parse(data) as RawMessageStreamEvent;
    } catch {
      return; // one garbled event must not lose the counts already seen
    }
    if (event.type === "message_start") {
      this.#model = typeof event.message.model === "string" ? event.message.model : this.#model;
      this.#usage = fromUsage(event.message.usage);
    } else if (event.type === "message_delta") {
      this.#usage = withDelta(this.#usage, event.usage);
      this.#ended = true;
    } else if (event.type === "content_block_delta") {
      this.#streamedBytes += contentBytes(event.delta);
    }
  }

  #onJson(): void {
    const bytes = concatBytes(this.#jsonChunks);
    this.#jsonChunks = [];
    const message = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Message>;
    if (typeof message.model === "string") this.#model = message.model;
    if (message.usage) this.#usage = fromUsage(message.usage);
  }
}

/**
 * The generated content a delta carries (text, tool input JSON, thinking), in UTF-8 bytes.
 * A thinking block's `signature` is not generated text and is left out.
 */
function contentBytes(delta: unknown): number {
  if (typeof delta !== "object" || delta === null) return 0;
  let bytes = 0;
  for (const [field, value] of Object.entries(delta)) {
    if (field !== "type" && field !== "signature" && typeof value === "string") bytes += utf8.encode(value).byteLength;
  }
  return bytes;
}

const utf8 = new TextEncoder();

/** A count from the wire: a non-negative integer, else 0 (the wire is read, not trusted). */
function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function fromUsage(usage: Partial<Usage> | null | undefined): TokenUsage {
  return {
    input_tokens: count(usage?.input_tokens),
    output_tokens: count(usage?.output_tokens),
    cache_creation_input_tokens: count(usage?.cache_creation_input_tokens),
    cache_read_input_tokens: count(usage?.cache_read_input_tokens),
    cache_creation_1h_input_tokens: count(usage?.cache_creation?.ephemeral_1h_input_tokens),
  };
}

/** Applies a `message_delta`'s cumulative counts: present fields replace, absent (null) ones keep. */
function withDelta(current: TokenUsage | null, delta: Partial<MessageDeltaUsage> | null | undefined): TokenUsage {
  const base = current ?? fromUsage(null);
  if (!delta) return base;
  const pick = (value: number | null | undefined, previous: number) => (value === null || value === undefined ? previous : count(value));
  return {
    input_tokens: pick(delta.input_tokens, base.input_tokens),
    output_tokens: pick(delta.output_tokens, base.output_tokens),
    cache_creation_input_tokens: pick(delta.cache_creation_input_tokens, base.cache_creation_input_tokens),
    cache_read_input_tokens: pick(delta.cache_read_input_tokens, base.cache_read_input_tokens),
    cache_creation_1h_input_tokens: base.cache_creation_1h_input_tokens,
  };
}
