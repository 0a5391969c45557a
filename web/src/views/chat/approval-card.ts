/** A tool approval request as a card: what the agent wants to run, and allow once / for the session / deny. */
import type { Item } from "../../chat-model.ts";
import { h } from "../../dom.ts";
import type { ChatContext } from "./context.ts";
import { prettyJson } from "./tool-card.ts";

export function renderApproval(ctx: ChatContext, item: Extract<Item, { kind: "approval" }>): HTMLElement {
  const { tool_name, tool_input, tool_use_id } = item.payload;
  // Exactly what the server grants for "session" (issue 9); no such button when it grants nothing.
  const pattern = (item.payload.session_patterns ?? []).join(", ");
  const answer = (approved: boolean, scope: "once" | "session") => {
    ctx.act((socket) => (approved ? socket.approve(tool_use_id, { scope }) : socket.deny(tool_use_id)));
    ctx.local.approvals.set(tool_use_id, approved ? (scope === "session" ? "approved_session" : "approved") : "denied");
    ctx.rerender();
  };
  const preview = tool_name === "Bash" && typeof tool_input["command"] === "string" ? `$ ${tool_input["command"]}` : prettyJson(tool_input);
  const outcome: Record<string, string> = {
    approved: "Approved",
    approved_session: `Approved for this session (${pattern})`,
    denied: "Denied",
    resolved: "Answered",
    answered: "Answered",
  };
  return h(
    "div",
    { class: `request-card ${item.state === "pending" ? "pending" : "settled"}`, "data-testid": "approval-card", "data-state": item.state },
    h(
      "div",
      { class: "request-head" },
      h("span", { class: "request-icon", "aria-hidden": "true" }, "⚠"),
      h("strong", null, `Allow ${tool_name}?`),
      item.state !== "pending" ? h("span", { class: "muted small" }, outcome[item.state]) : null,
    ),
    h("pre", { class: "tool-pre" }, preview),
    item.state === "pending" && !ctx.ended
      ? h(
          "div",
          { class: "request-actions" },
          h(
            "button",
            { class: "btn btn-primary btn-sm", type: "button", "data-testid": "approve-once", onclick: () => answer(true, "once") },
            "Allow once",
          ),
          pattern
            ? h(
                "button",
                {
                  class: "btn btn-sm",
                  type: "button",
                  "data-testid": "approve-session",
                  title: `Adds ${pattern} to this session's allow list`,
                  onclick: () => answer(true, "session"),
                },
                `Allow ${pattern} for session`,
              )
            : null,
          h(
            "button",
            { class: "btn btn-sm btn-danger", type: "button", "data-testid": "deny", onclick: () => answer(false, "once") },
            "Deny",
          ),
        )
      : null,
  );
}
