/** A tool call as a collapsible card: its input, its output (long output folded), a download button for files it wrote. */
import type { ContentBlock } from "../../../../schemas/events.ts";
import type { Item } from "../../chat-model.ts";
import { h, toolSummary } from "../../dom.ts";
import type { ChatContext } from "./context.ts";

/** Longest tool output shown before "show all". */
const RESULT_PREVIEW_CHARS = 4_000;

export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function resultText(content: string | ContentBlock[]): string {
  if (typeof content === "string") return content;
  return content.map((b) => (b.type === "text" && typeof b["text"] === "string" ? b["text"] : prettyJson(b))).join("\n");
}

export function renderTool(ctx: ChatContext, item: Extract<Item, { kind: "tool" }>): HTMLElement {
  const state = item.result ? (item.result.is_error ? "error" : "done") : item.waiting ? "waiting" : "running";
  const stateText = { error: "error", done: "done", waiting: "awaiting approval", running: "running" }[state];
  const summary = toolSummary(item.name, item.input);
  const body = h("div", { class: "tool-body" });
  if (Object.keys(item.input).length)
    body.append(
      h("div", { class: "tool-label" }, "Input"),
      h(
        "pre",
        { class: "tool-pre" },
        item.name === "Bash" && typeof item.input["command"] === "string" ? `$ ${item.input["command"]}` : prettyJson(item.input),
      ),
    );
  if (item.result) {
    const text = resultText(item.result.content);
    const pre = h(
      "pre",
      { class: `tool-pre ${item.result.is_error ? "tool-error" : ""}`, "data-testid": "tool-output" },
      text.length > RESULT_PREVIEW_CHARS ? `${text.slice(0, RESULT_PREVIEW_CHARS)}…` : text || "(no output)",
    );
    body.append(h("div", { class: "tool-label" }, item.result.is_error ? "Error" : "Output"), pre);
    if (text.length > RESULT_PREVIEW_CHARS) {
      body.append(
        h(
          "button",
          {
            class: "btn btn-sm btn-link",
            type: "button",
            onclick: (e: Event) => {
              pre.textContent = text;
              (e.target as HTMLElement).remove();
            },
          },
          `Show all ${text.length.toLocaleString()} characters`,
        ),
      );
    }
  }
  const path = typeof item.input["file_path"] === "string" ? (item.input["file_path"] as string) : null;
  if (
    path &&
    ctx.filesAvailable &&
    (item.name === "Write" || item.name === "Edit" || item.name === "MultiEdit") &&
    item.result &&
    !item.result.is_error
  ) {
    body.append(
      h(
        "button",
        { class: "btn btn-sm", type: "button", "data-testid": "tool-download", onclick: () => ctx.download(path) },
        `⇩ Download ${path.split("/").pop()}`,
      ),
    );
  }
  return h(
    "details",
    {
      class: `tool-card tool-${state}`,
      "data-testid": "tool-card",
      "data-tool": item.name,
      "data-tool-state": state,
      open: state === "waiting" ? true : null,
    },
    h(
      "summary",
      null,
      h(
        "span",
        { class: "tool-icon", "aria-hidden": "true" },
        state === "done" ? "✓" : state === "error" ? "✗" : state === "waiting" ? "!" : "…",
      ),
      h("span", { class: "tool-name" }, item.name),
      h("span", { class: "tool-summary" }, summary),
      h("span", { class: "tool-state" }, stateText),
    ),
    body,
  );
}
