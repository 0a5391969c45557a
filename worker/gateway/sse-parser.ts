/**
 * An incremental server-sent-events parser (the WHATWG "event stream" rules): bytes go in
 * as they arrive, complete events come out. Chunks may split anywhere, even inside a UTF-8
 * character or between the CR and LF of a line break.
 */

/** One dispatched event: its `event:` name ("message" when none) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Longest line kept in memory. The gateway only needs the small `message_*` events; a longer
 * line (say, a huge server-tool result block) is skipped instead of buffered without bound.
 */
export const MAX_SSE_LINE_CHARS = 1024 * 1024;

const LF = 10;
const CR = 13;

/** Parses one event stream; create one per response. */
export class SseParser {
  #decoder = new TextDecoder();
  /** Text after the last line break: the start of a line not yet complete. */
  #partial = "";
  /** True while discarding the rest of an over-long line. */
  #skipping = false;
  /** True when the last chunk ended in CR, so a leading LF in the next one belongs to it. */
  #afterCr = false;
  #event = "";
  #data: string[] = [];

  /** Feeds the next chunk; returns the events it completed. */
  push(chunk: Uint8Array): SseEvent[] {
    return this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Ends the stream. An event without its closing blank line is dropped, as the standard says. */
  end(): SseEvent[] {
    return this.#feed(this.#decoder.decode());
  }

  #feed(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    if (this.#afterCr && text.charCodeAt(0) === LF) start = 1;
    this.#afterCr = false;
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== LF && code !== CR) continue;
      this.#line(this.#take(text.slice(start, i)), events);
      if (code === CR) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    this.#keep(text.slice(start));
    return events;
  }

  /** The whole line: what was kept from earlier chunks plus `tail`; null when it was too long. */
  #take(tail: string): string | null {
    const line = this.#skipping ? null : this.#partial + tail;
    this.#partial = "";
    this.#skipping = false;
    return line !== null && line.length <= MAX_SSE_LINE_CHARS ? line : null;
  }

  #keep(text: string): void {
    if (this.#skipping) return;
    this.#partial += text;
    if (this.#partial.length > MAX_SSE_LINE_CHARS) {
      this.#partial = "";
      this.#skipping = true;
    }
  }

  #line(line: string | null, events: SseEvent[]): void {
    if (line === null) return; // over-long: whatever field it carried is lost
    if (line === "") {
      if (this.#data.length > 0) events.push({ event: this.#event || "message", data: this.#data.join("\n") });
      this.#event = "";
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return; // a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    // `id` and `retry` do not matter to a one-shot reader.
  }
}
