/** One display item of the conversation (chat-model.ts) as DOM: messages, notices, turn results, the end, and the cards. */
import type { ContentBlock } from "../../../../schemas/events.ts";
import type { Item } from "../../chat-model.ts";
import { h, relativeTime } from "../../dom.ts";
import { renderMarkdown } from "../../markdown-dom.ts";
import { endReasonText } from "../session-list.ts";
import { renderApproval } from "./approval-card.ts";
import type { ChatContext } from "./context.ts";
import { renderQuestion } from "./question-card.ts";
import { prettyJson, renderTool } from "./tool-card.ts";

export function renderItem(ctx: ChatContext, item: Item): HTMLElement {
  switch (item.kind) {
    case "user":
      return h(
        "div",
        { class: "msg msg-user", "data-testid": "msg-user" },
        h("div", { class: "bubble" }, h("div", { class: "plain" }, item.text)),
        h("div", { class: "msg-time" }, relativeTime(item.time)),
      );
    case "assistant":
      return h("div", { class: "msg msg-assistant", "data-testid": "msg-assistant" }, ...item.blocks.map(renderBlock));
    case "tool":
      return renderTool(ctx, item);
    case "approval":
      return renderApproval(ctx, item);
    case "question":
      return renderQuestion(ctx, item);
    case "notice":
      return h(
        "div",
        { class: `notice notice-${item.tone}`, "data-testid": `notice-${item.subtype}` },
        h("span", null, item.text),
        item.subtype === "message_queued" && item.jump
          ? h(
              "button",
              {
                class: "btn btn-sm btn-link",
                type: "button",
                "data-testid": "jump-to-pending",
                onclick: () => ctx.scrollToKey(item.jump!),
              },
              "Show pending request ↑",
            )
          : null,
      );
    case "result":
      return h(
        "div",
        { class: `turn-end ${item.success ? "" : "turn-failed"}`, "data-testid": "turn-result" },
        item.success ? "Turn finished" : `Turn ended: ${item.subtype.replaceAll("_", " ")}`,
        item.turns ? ` · ${item.turns} turn${item.turns === 1 ? "" : "s"}` : "",
        // The session's cost so far, the figure of the header and of `sessions get`.
        item.cost !== null
          ? h("span", { "data-testid": "turn-cost" }, ` · $${item.cost.toFixed(4)}${item.simulated ? " (simulated)" : ""}`)
          : null,
        !item.success && item.summary ? h("div", { class: "plain small" }, item.summary) : null,
      );
    case "end":
      return h(
        "div",
        { class: "session-ended", "data-testid": "session-ended" },
        h("strong", null, "Session ended"),
        ` — ${endReasonText(item.reason)}`,
        item.detail ? h("div", { class: "muted small" }, item.detail) : null,
      );
  }
}

function renderBlock(block: ContentBlock): HTMLElement {
  if (block.type === "text" && typeof block["text"] === "string") return renderMarkdown(block["text"] as string);
  if (block.type === "thinking" && typeof block["thinking"] === "string") {
    return h(
      "details",
      { class: "thinking" },
      h("summary", null, "Thinking"),
      h("div", { class: "plain muted" }, block["thinking"] as string),
    );
  }
  if (block.type === "redacted_thinking") return h("div", { class: "muted small" }, "(thinking redacted)");
  return h("details", { class: "raw-block" }, h("summary", null, block.type), h("pre", null, prettyJson(block)));
}
