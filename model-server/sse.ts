// Server-sent-event encoding of a complete message, in the event order the Messages API uses:
// message_start, then per block start / delta... / stop, then message_delta and message_stop.
import type { Message, RawContentBlockDelta, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages";

/** One SSE frame: `event: TYPE` and its JSON data line. */
export function encodeSse(event: { type: string }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Splits text into at most `count` pieces at word boundaries, with similar word counts. */
export function splitText(text: string, count: number): string[] {
  const words = text.split(/(?<=\s)/); // each word keeps its trailing whitespace
  const n = Math.max(1, Math.min(count, words.length));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {
    pieces.push(words.slice(Math.round((i * words.length) / n), Math.round(((i + 1) * words.length) / n)).join(""));
  }
  return pieces;
}

/** Splits a string into two halves (tool input JSON arrives in several partial deltas). */
function halves(text: string): string[] {
  const middle = Math.ceil(text.length / 2);
  return text.length < 2 ? [text] : [text.slice(0, middle), text.slice(middle)];
}

/**
 * The stream events for `message`. Text is split into `textChunks` deltas, and tool inputs
 * into two partial-JSON deltas, so clients exercise their real incremental parsers.
 */
export function messageEvents(message: Message, textChunks = 3): RawMessageStreamEvent[] {
  const events: RawMessageStreamEvent[] = [
    {
      type: "message_start",
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_details: null,
        // As the real API does: input is known up front, output is counted at the end.
        usage: { ...message.usage, output_tokens: 1 },
      },
    },
  ];
  message.content.forEach((block, index) => {
    let deltas: RawContentBlockDelta[] = [];
    if (block.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { ...block, text: "" } });
      deltas = splitText(block.text, textChunks).map((text) => ({ type: "text_delta", text }));
    } else if (block.type === "tool_use") {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      deltas = halves(JSON.stringify(block.input)).map((partial_json) => ({ type: "input_json_delta", partial_json }));
    } else {
      throw new Error(`cannot stream a ${block.type} block`);
    }
    for (const delta of deltas) events.push({ type: "content_block_delta", index, delta });
    events.push({ type: "content_block_stop", index });
  });
  events.push({
    type: "message_delta",
    delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null, container: null },
    usage: {
      input_tokens: message.usage.input_tokens,
      output_tokens: message.usage.output_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens_details: null,
      server_tool_use: null,
    },
  });
  events.push({ type: "message_stop" });
  return events;
}
