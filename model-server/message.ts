// Turning a scripted reply into a complete Messages API `Message`: deterministic ids and
// deterministic token usage (characters / 4), so cost accounting can be asserted exactly.
import { createHash } from "node:crypto";
import type {
  ContentBlock,
  Message,
  MessageCountTokensParams,
  MessageCreateParams,
  StopReason,
  Usage,
} from "@anthropic-ai/sdk/resources/messages";

/** One block of a scripted assistant message, before ids and usage are attached. */
export type ScriptedBlock = { type: "text"; text: string } | { type: "tool_use"; name: string; input: Record<string, unknown> };

/** Approximate token count used everywhere in this server: one token per 4 characters. */
export function tokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Input tokens of a request: everything the model would read (system, messages, tools). */
export function countInputTokens(body: MessageCreateParams | MessageCountTokensParams): number {
  return tokensOf(JSON.stringify([body.system ?? "", body.messages, body.tools ?? []]));
}

/** Output tokens of a reply: its text and its tool calls' names and inputs. */
export function countOutputTokens(blocks: ScriptedBlock[]): number {
  const chars = blocks.map((b) => (b.type === "text" ? b.text : b.name + JSON.stringify(b.input))).join("");
  return Math.max(1, tokensOf(chars));
}

/** A usage object with every field the SDK's type requires, caching and extras zeroed. */
export function makeUsage(inputTokens: number, outputTokens: number): Usage {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: "standard",
    speed: null,
  };
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 20);
}

/**
 * The full assistant message for a scripted reply. Ids are derived from the conversation, so
 * the same request always yields the same message while every turn gets fresh tool ids.
 */
export function buildMessage(body: MessageCreateParams, blocks: ScriptedBlock[]): Message {
  const seed = shortHash(JSON.stringify(body.messages));
  const content: ContentBlock[] = blocks.map((block, index) =>
    block.type === "text"
      ? { type: "text", text: block.text, citations: null }
      : { type: "tool_use", id: `toolu_${seed}${index}`, name: block.name, input: block.input, caller: { type: "direct" } },
  );
  const stopReason: StopReason = blocks.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
  return {
    id: `msg_${seed}`,
    type: "message",
    role: "assistant",
    model: body.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: makeUsage(countInputTokens(body), countOutputTokens(blocks)),
  };
}
