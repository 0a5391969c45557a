// Reading a Messages API request body the way the scripted scenarios need it: which text the
// user typed last, how many tool rounds have happened since, what the tools returned, and the
// working directory Claude Code announced. Everything is derived from the body alone, so the
// server stays stateless across Claude Code's requests.
import type { ContentBlockParam, MessageCreateParams, MessageParam, ToolResultBlockParam } from "@anthropic-ai/sdk/resources/messages";

/** What a tool returned, flattened to text. */
export type ToolResult = { toolUseId: string; text: string; isError: boolean };

/** The parts of a conversation the scenarios look at. */
export type ConversationView = {
  /** Every text the user typed, oldest first (injected reminders and tool results left out). */
  prompts: string[];
  /** The latest of `prompts` ("" when there is none). */
  latestPrompt: string;
  /** Tool calls the assistant has made since the latest prompt: the scenario's step number. */
  round: number;
  /** Tool results received since the latest prompt, in order. */
  toolResults: ToolResult[];
  /** Names of the tools offered in the request. */
  toolNames: string[];
  /** The working directory Claude Code states in its system prompt, if any. */
  cwd: string | undefined;
};

// Claude Code wraps context it injects into user messages in these tags; they are not prompts.
const REMINDER = /<system-reminder>[\s\S]*?(<\/system-reminder>|$)/g;
// Claude Code records an interrupt as a user text like "[Request interrupted by user]".
const INTERRUPT = /^\[Request interrupted by user[^\]]*\]$/;
// Claude Code 2.1.x: " - Primary working directory: /path" (in a system-role message);
// older versions: "Working directory: /path" (in the system prompt).
// A conversation resumed in another directory (a fork) says "<cwd> (was <old cwd>)": the first is current.
const CWD = /(?:Primary working directory|Working directory):[ \t]*(\S[^\n]*?)(?:[ \t]+\(was [^\n]*\))?[ \t]*$/gm;

/** Content blocks of a message, whether its content is a string or an array. */
export function blocksOf(message: MessageParam): ContentBlockParam[] {
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

/** The user-typed text of a user message: text blocks minus injected reminders ("" if none). */
export function promptTextOf(message: MessageParam): string {
  if (message.role !== "user") return "";
  return blocksOf(message)
    .flatMap((block) => (block.type === "text" ? [block.text.replace(REMINDER, "").trim()] : []))
    .filter((text) => text !== "" && !INTERRUPT.test(text))
    .join("\n");
}

/** Flattens a tool_result block's content to text. */
export function toolResultText(block: ToolResultBlockParam): string {
  if (block.content === undefined) return "";
  if (typeof block.content === "string") return block.content;
  return block.content.map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("\n");
}

/** All text of the system prompt and of system-role messages, for pattern searches. */
export function systemText(body: MessageCreateParams): string {
  const top = typeof body.system === "string" ? body.system : (body.system ?? []).map((b) => b.text).join("\n");
  const inline = body.messages
    .filter((m) => m.role === "system")
    .flatMap((m) => blocksOf(m).flatMap((b) => (b.type === "text" ? [b.text] : [])));
  return [top, ...inline].join("\n");
}

/** Builds the scenario-facing view of a request body. */
export function viewConversation(body: MessageCreateParams): ConversationView {
  const prompts: string[] = [];
  let promptIndex = -1;
  body.messages.forEach((message, index) => {
    const text = promptTextOf(message);
    if (text) {
      prompts.push(text);
      promptIndex = index;
    }
  });

  let round = 0;
  const toolResults: ToolResult[] = [];
  for (const message of body.messages.slice(promptIndex + 1)) {
    for (const block of blocksOf(message)) {
      if (message.role === "assistant" && block.type === "tool_use") round++;
      if (message.role === "user" && block.type === "tool_result") {
        toolResults.push({ toolUseId: block.tool_use_id, text: toolResultText(block), isError: block.is_error === true });
      }
    }
  }

  // The newest statement wins: a resumed conversation (a fork, in another directory) still holds
  // the cwd it was started in, and Claude Code states the current one after it.
  const top = typeof body.system === "string" ? body.system : (body.system ?? []).map((b) => b.text).join("\n");
  const texts = body.messages
    .filter((m) => m.role === "user" || m.role === "system")
    .flatMap((m) => blocksOf(m).flatMap((b) => (b.type === "text" ? [b.text] : [])));
  const cwd = [...[top, ...texts].join("\n").matchAll(CWD)].at(-1)?.[1]?.trim();

  return {
    prompts,
    latestPrompt: prompts.at(-1) ?? "",
    round,
    toolResults,
    // Server-side toolsets (browser, computer) have a type but no name.
    toolNames: (body.tools ?? []).map((tool) => ("name" in tool ? tool.name : tool.type)),
    cwd,
  };
}

/**
 * True for Claude Code's side requests (quota checks, titles, summaries, topic detection):
 * they offer no tools or allow only a few tokens, and they quote the user's prompt, directive
 * included, so they must get a short plain answer instead of running the scenario.
 */
export function isAuxiliaryRequest(body: MessageCreateParams): boolean {
  if (body.max_tokens <= 64) return true;
  const offersTools = (body.tools ?? []).length > 0;
  // Every Claude Code request starts its system prompt with this attribution line; plain API
  // clients (tests using the SDK) without tools still get their directives honoured.
  return !offersTools && systemText(body).includes("x-anthropic-billing-header");
}
