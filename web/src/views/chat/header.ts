/** The chat's header (title, state, cost, the session's actions) and the connection banner under it. */
import type { Session } from "../../../../schemas/session.ts";
import type { SessionStatusPayload } from "../../../../schemas/events.ts";
import type { App } from "../../app.ts";
import { h, replace, toast } from "../../dom.ts";
import { permissionModeDescription, permissionModeName } from "../../../../client-core/permission-modes.ts";
import { endReasonText, sessionTitle, stateBadge } from "../session-list.ts";
import { CONNECTION_TEXT, type ConnectionState } from "./connection.ts";

/** What the header shows. */
export interface HeaderState {
  sessionId: string;
  record: Session | null;
  status: SessionStatusPayload | Session | null;
  connection: ConnectionState;
  ended: boolean;
  costUsd: number;
  /** The events say the model is simulated (the record's `usage.simulated` says so too). */
  simulated: boolean;
  filesAvailable: boolean;
}

/** What the header's buttons do. */
export interface HeaderActions {
  upload(): void;
  askDownload(): void;
  /** The record changed on the server (terminated): read it again. */
  refreshRecord(): void;
}

export function renderHeader(app: App, el: HTMLElement, s: HeaderState, actions: HeaderActions): void {
  const title = s.record ? sessionTitle(s.record) : `Session ${s.sessionId.slice(0, 8)}`;
  // One source: the platform's metered cost, from the record or the newer events; it only grows.
  const cost = Math.max(s.costUsd, s.record?.usage.cost_usd ?? 0);
  const simulated = s.simulated || (s.record?.usage.simulated ?? false);
  const mode = s.record?.profile.permission_mode ?? null;
  const files = s.filesAvailable && !s.ended;
  const status = s.status;
  replace(
    el,
    h("a", { class: "icon-btn back-btn", href: "/", "data-link": "", "aria-label": "Back to sessions" }, "←"),
    h(
      "div",
      { class: "chat-title" },
      h("h1", { "data-testid": "chat-title" }, title),
      h(
        "div",
        { class: "chat-sub" },
        status
          ? stateBadge({
              ui_state: s.ended ? "Ended" : status.ui_state,
              needs_attention: !s.ended && status.needs_attention,
              dormant: status.dormant,
            })
          : null,
        h("span", {
          class: `conn-dot conn-${s.connection}`,
          title: CONNECTION_TEXT[s.connection],
          "aria-label": CONNECTION_TEXT[s.connection],
        }),
        mode
          ? h(
              "span",
              {
                class: "chip",
                title: `Permission mode: ${permissionModeDescription(mode)}`,
                "data-testid": "chat-mode",
                "data-mode": mode,
              },
              permissionModeName(mode),
            )
          : null,
        cost > 0 || simulated
          ? h(
              "span",
              {
                class: "muted small",
                title: simulated
                  ? "Simulated: the offline demo's scripted model invents its tokens and costs; nothing is billed"
                  : "Cost so far",
                "data-testid": "cost",
                "data-simulated": String(simulated),
              },
              `$${cost.toFixed(4)}`,
              simulated ? h("span", { class: "chip chip-sim", "data-testid": "cost-simulated" }, "simulated") : null,
            )
          : null,
        s.ended && s.record?.end_reason ? h("span", { class: "muted small" }, `ended: ${endReasonText(s.record.end_reason)}`) : null,
      ),
    ),
    h(
      "div",
      { class: "chat-actions" },
      files
        ? h(
            "button",
            {
              class: "btn btn-sm",
              type: "button",
              title: "Upload a file into the session's workspace",
              "data-testid": "upload",
              onclick: () => actions.upload(),
            },
            "⇧ Upload",
          )
        : null,
      s.filesAvailable
        ? h(
            "button",
            {
              class: "btn btn-sm",
              type: "button",
              title: "Download a file from the workspace",
              "data-testid": "download",
              disabled: s.ended && !s.filesAvailable,
              onclick: () => actions.askDownload(),
            },
            "⇩ Download",
          )
        : null,
      !s.ended
        ? h(
            "button",
            {
              class: "btn btn-sm btn-danger",
              type: "button",
              "data-testid": "terminate",
              onclick: () => void terminate(app, s.sessionId, actions),
            },
            "Terminate",
          )
        : null,
      // A fork copies the archive a dormant session, or one that ended asleep, keeps; the form shows the preflight.
      s.ended || status?.dormant
        ? h(
            "a",
            {
              class: "btn btn-sm",
              href: `/sessions/${s.sessionId}/fork`,
              "data-link": "",
              title: "Start a new session from this one's files and conversation",
              "data-testid": "fork",
            },
            "⑂ Fork",
          )
        : null,
      s.ended
        ? h(
            "button",
            {
              class: "btn btn-sm btn-danger",
              type: "button",
              "data-testid": "delete-record",
              onclick: () => void deleteRecord(app, s.sessionId),
            },
            "Delete",
          )
        : null,
    ),
  );
}

/** Shows the connection state under the header when it is worth a word (not while live). */
export function renderBanner(el: HTMLElement, state: ConnectionState): void {
  el.dataset.state = state;
  el.className = `conn-banner conn-${state}`;
  replace(el, state === "open" || state === "connecting" || state === "closed" ? "" : CONNECTION_TEXT[state]);
}

async function terminate(app: App, sessionId: string, actions: HeaderActions): Promise<void> {
  if (!confirm("Terminate this session? The agent stops and the sandbox is removed; the conversation stays readable.")) return;
  try {
    await app.api.terminateSession(sessionId);
    toast("Session terminated");
    actions.refreshRecord();
  } catch (error) {
    toast((error as Error).message, "error");
  }
}

async function deleteRecord(app: App, sessionId: string): Promise<void> {
  if (!confirm("Delete this session's record and its conversation for good?")) return;
  try {
    await app.api.deleteSessionRecord(sessionId);
    app.store.remove(sessionId);
    toast("Session deleted");
    app.navigate("/");
  } catch (error) {
    toast((error as Error).message, "error");
  }
}
