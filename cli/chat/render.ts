/** Turns session events into compact terminal lines (chat, attach and `sessions history` share it). */
import type { ContentBlock, ServerEnvelope } from "../../sdk/index.ts";
import type { Style } from "../style.ts";
import { describeToolCall, oneLine } from "./describe-tool.ts";

/** The text of content blocks (text blocks only; tool calls travel as their own events). */
export function blocksText(content: string | readonly ContentBlock[]): string {
  if (typeof content === "string") return content;
  return content
    .map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : ""))
    .filter((text) => text !== "")
    .join("\n");
}

/** A tool result in one line: its first line and how much more there is. */
export function summariseResult(content: string | readonly ContentBlock[]): string {
  const text = blocksText(content).replace(/\s+$/, "");
  if (text === "") return typeof content === "string" ? "(no output)" : `(${content.length} block${content.length === 1 ? "" : "s"})`;
  const lines = text.split("\n");
  const more = lines.length > 1 ? ` (+${lines.length - 1} line${lines.length === 2 ? "" : "s"})` : "";
  return `${oneLine(lines[0]!, 160)}${more}`;
}

/** Dollars as every CLI surface prints them. */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(4)}`;
}

/** Renders one event; null for events a person need not see (usage deltas, routine status changes). */
export function renderEvent(frame: ServerEnvelope, style: Style): string | null {
  switch (frame.type) {
    case "assistant": {
      const text = blocksText(frame.payload.content);
      return text === "" ? null : text;
    }
    case "user": {
      const text = blocksText(frame.payload.content);
      return text === "" ? null : style.cyan(`> ${text}`);
    }
    case "tool_use":
      return style.yellow(`⏺ ${describeToolCall(frame.payload.name, frame.payload.input)}`);
    case "tool_result": {
      const summary = summariseResult(frame.payload.content);
      return frame.payload.is_error ? style.red(`  ⎿ ✗ ${summary}`) : style.dim(`  ⎿ ${summary}`);
    }
    case "system":
      if (frame.payload.subtype === "init") return null;
      if (frame.payload.subtype === "message_queued") return style.dim("(queued: runs when the agent is free)");
      return style.dim(`(${frame.payload.message})`);
    case "result": {
      const p = frame.payload;
      // The session's cost as the platform metered it (what `sessions get` shows); Claude Code's
      // own estimate only for events stored before the session stamped its figure on them.
      const cost = `${formatCost(p.session_cost_usd ?? p.total_cost_usd)}${p.cost_simulated ? " (simulated)" : ""}`;
      // A failed turn's summary is often an internal diagnostic; the subtype says what happened.
      return p.success
        ? style.green(`✓ done · ${p.num_turns} turn${p.num_turns === 1 ? "" : "s"} · ${cost}`)
        : style.red(`✗ turn ended: ${p.subtype}`);
    }
    case "session_end":
      return style.bold(`Session ended: ${frame.payload.reason}${frame.payload.detail ? ` (${frame.payload.detail})` : ""}`);
    case "session_error":
      return style.red(`session failed: ${frame.payload.error}${frame.payload.details ? ` (${frame.payload.details})` : ""}`);
    case "error":
      return style.red(`error: ${frame.payload.message} (${frame.payload.code})`);
    case "tool_approval_request":
      return style.yellow(`? approval requested: ${describeToolCall(frame.payload.tool_name, frame.payload.tool_input)}`);
    case "ask_user_question":
      return style.yellow(`? question: ${frame.payload.questions.map((q) => q.question).join(" / ")}`);
    case "session_status":
    case "usage_delta":
    case "history":
    case "upload_url":
    case "download_url":
      return null;
  }
}
