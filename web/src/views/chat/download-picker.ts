/**
 * The header's Download: an in-page picker (not the browser's `prompt()`) listing the workspace
 * files the conversation knows of — written or edited by the agent, uploaded in this view — with a
 * field for any other path. The platform has no listing of the workspace; the transcript is what
 * the user has seen, and any path it shows is one the download route accepts.
 */
import type { Item } from "../../chat-model.ts";
import { h } from "../../dom.ts";
import { workspacePath } from "./file-actions.ts";

/** Tools whose `file_path` is a file they wrote. */
export const WRITING_TOOLS: ReadonlySet<string> = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

/** Workspace paths of the files the conversation wrote (newest first), then `uploaded`, each once. */
export function knownFiles(sessionId: string, items: readonly Item[], uploaded: readonly string[]): string[] {
  const written: string[] = [];
  for (const item of items) {
    if (item.kind !== "tool" || !WRITING_TOOLS.has(item.name) || !item.result || item.result.is_error) continue;
    const path = item.input["file_path"];
    if (typeof path === "string") written.push(displayPath(sessionId, path));
  }
  return [...new Set([...written.reverse(), ...uploaded.map((p) => displayPath(sessionId, p))])];
}

/** A path as the user reads it: under /workspace. */
function displayPath(sessionId: string, path: string): string {
  const inside = workspacePath(sessionId, path);
  return inside.startsWith("/") ? inside : `/workspace/${inside}`;
}

/** Opens the picker over `host` (one at a time); `download` is called with the chosen path. */
export function openDownloadPicker(host: HTMLElement, files: readonly string[], download: (path: string) => void): void {
  host.querySelector(".download-picker")?.remove();
  const input = h("input", {
    type: "text",
    value: "/workspace/",
    spellcheck: "false",
    "aria-label": "Path of a workspace file",
    "data-testid": "download-path",
  });
  const close = () => {
    panel.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") close();
  };
  const choose = (path: string) => {
    close();
    download(path);
  };
  const panel = h(
    "div",
    { class: "download-picker card", role: "dialog", "aria-label": "Download a workspace file", "data-testid": "download-picker" },
    h("h2", null, "Download a file"),
    files.length
      ? h(
          "ul",
          { class: "download-list" },
          files.map((path) =>
            h(
              "li",
              null,
              h(
                "button",
                { class: "btn btn-sm btn-link", type: "button", "data-testid": "download-file", onclick: () => choose(path) },
                path,
              ),
            ),
          ),
        )
      : h("p", { class: "muted small" }, "No files written or uploaded in this conversation yet."),
    h(
      "form",
      {
        class: "download-other",
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
          const path = input.value.trim();
          if (path && path !== "/workspace/" && path !== "/workspace") choose(path);
        },
      },
      h("label", { class: "muted small" }, "Another file", input),
      h(
        "div",
        { class: "form-actions" },
        h("button", { class: "btn btn-primary btn-sm", type: "submit" }, "Download"),
        h("button", { class: "btn btn-ghost btn-sm", type: "button", onclick: close }, "Cancel"),
      ),
    ),
  );
  document.addEventListener("keydown", onKey);
  host.append(panel);
  ((panel.querySelector("[data-testid=download-file]") as HTMLElement | null) ?? input).focus();
}
