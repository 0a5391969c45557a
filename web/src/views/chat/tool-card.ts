/** A tool call as a collapsible card: its input, its output (long output folded), a download button for files it wrote. */
import type { ContentBlock } from "../../../../schemas/events.ts";
import type { Item } from "../../chat-model.ts";
import { h, toolSummary } from "../../dom.ts";
import type { ChatContext } from "./context.ts";
import { WRITING_TOOLS } from "./download-picker.ts";

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

/** A labelled block of text as code (pre-wrapped, never JSON-escaped). */
function codeBlock(label: string, text: string, testId?: string): HTMLElement[] {
  return [h("div", { class: "tool-label" }, label), h("pre", { class: "tool-pre", ...(testId ? { "data-testid": testId } : {}) }, text)];
}

/**
 * A call's input as a person reads it: a command line, a file's content, an edit's before and
 * after as text; anything else as JSON. (The raw JSON of a Write shows its file as one line of `\n`s.)
 */
function renderInput(name: string, input: Record<string, unknown>): HTMLElement[] {
  const str = (key: string) => (typeof input[key] === "string" ? (input[key] as string) : null);
  const command = str("command");
  if (name === "Bash" && command !== null) return codeBlock("Input", `$ ${command}`);
  const path = str("file_path");
  const content = str("content");
  if (name === "Write" && path !== null && content !== null) {
    return [h("div", { class: "tool-label" }, "File ", h("code", null, path)), ...codeBlock("Content", content, "tool-content").slice(1)];
  }
  const oldText = str("old_string");
  const newText = str("new_string");
  if (name === "Edit" && path !== null && oldText !== null && newText !== null) {
    return [
      h("div", { class: "tool-label" }, "File ", h("code", null, path)),
      ...codeBlock("Replace", oldText),
      ...codeBlock("With", newText, "tool-content"),
    ];
  }
  return codeBlock("Input", prettyJson(input));
}

export function renderTool(ctx: ChatContext, item: Extract<Item, { kind: "tool" }>): HTMLElement {
  const state = item.result ? (item.result.is_error ? "error" : "done") : item.waiting ? "waiting" : "running";
  const stateText = { error: "error", done: "done", waiting: "awaiting approval", running: "running" }[state];
  const summary = toolSummary(item.name, item.input);
  const body = h("div", { class: "tool-body" });
  if (Object.keys(item.input).length) body.append(...renderInput(item.name, item.input));
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
  // A file the call wrote can be downloaded from the card's title row, without opening it.
  const path = typeof item.input["file_path"] === "string" ? (item.input["file_path"] as string) : null;
  const download =
    path && ctx.filesAvailable && WRITING_TOOLS.has(item.name) && item.result && !item.result.is_error
      ? h(
          "button",
          {
            class: "btn btn-sm tool-download",
            type: "button",
            title: `Download ${path}`,
            "data-testid": "tool-download",
            onclick: (e: Event) => {
              e.preventDefault(); // a click in the summary would otherwise fold the card
              ctx.download(path);
            },
          },
          `⇩ ${path.split("/").pop()}`,
        )
      : null;
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
      download,
    ),
    body,
  );
}
