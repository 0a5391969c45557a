/** The sidebar: sessions with their Running / Waiting / Ended state and the needs-attention marker. */
import type { SessionSummary } from "../../../schemas/session.ts";
import { h, relativeTime, replace } from "../dom.ts";
import type { App } from "../app.ts";

/** The state badge every view uses: Running / Waiting / Ended, plus a trailing alert marker. */
export function stateBadge(s: Pick<SessionSummary, "ui_state" | "needs_attention" | "dormant">): HTMLElement {
  const cls = s.ui_state === "Running" ? "running" : s.ui_state === "Waiting" ? "waiting" : "ended";
  const title = s.needs_attention
    ? `${s.ui_state}, needs your attention`
    : s.dormant
      ? `${s.ui_state} (asleep, resumes on your next message)`
      : s.ui_state;
  return h(
    "span",
    {
      class: `badge badge-${cls}${s.needs_attention ? " badge-attention" : ""}`,
      title,
      "data-testid": "state-badge",
      "data-state": s.ui_state,
      "data-attention": s.needs_attention ? "true" : "false",
    },
    h("span", { class: "dot", "aria-hidden": "true" }),
    s.ui_state,
    s.needs_attention ? h("span", { class: "alert-mark", "aria-label": "needs attention" }, "!") : null,
  );
}

export function sessionTitle(s: Pick<SessionSummary, "name" | "id">): string {
  return s.name?.trim() || `Session ${s.id.slice(0, 8)}`;
}

const END_REASONS: Record<string, string> = {
  completed: "completed",
  failed: "failed",
  job_completed: "runner exited",
  user_requested: "terminated",
  org_api_requested: "terminated by org",
  max_duration_exceeded: "time limit",
  startup_timeout: "did not start",
  heartbeat_stale: "lost the runner",
};

export function endReasonText(reason: string | null | undefined): string {
  return reason ? (END_REASONS[reason] ?? reason.replaceAll("_", " ")) : "";
}

function row(s: SessionSummary, activeId: string | null): HTMLElement {
  return h(
    "li",
    null,
    h(
      "a",
      {
        class: `session-row${s.id === activeId ? " active" : ""}${s.needs_attention ? " attention" : ""}`,
        href: `/sessions/${s.id}`,
        "data-link": "",
        "data-testid": "session-row",
        "data-session-id": s.id,
        "aria-current": s.id === activeId ? "page" : null,
      },
      h("span", { class: "session-name" }, sessionTitle(s)),
      h(
        "span",
        { class: "session-meta" },
        stateBadge(s),
        h(
          "span",
          { class: "muted small" },
          s.status === "ended"
            ? `${endReasonText(s.end_reason)} · ${relativeTime(s.terminated_at ?? s.created_at)}`
            : relativeTime(s.created_at),
        ),
      ),
    ),
  );
}

export function renderSessionList(app: App, host: HTMLElement, activeId: string | null): void {
  const draw = () => {
    const { store } = app;
    const live = store.sessions.filter((s) => s.status !== "ended");
    const ended = store.sessions.filter((s) => s.status === "ended");
    const list = h(
      "nav",
      { class: "session-list", "data-testid": "session-list" },
      h(
        "div",
        { class: "list-head" },
        h("h2", null, "Sessions"),
        h("a", { class: "btn btn-primary btn-sm", href: "/new", "data-link": "" }, "+ New"),
      ),
      !store.loaded ? h("p", { class: "muted pad" }, store.error ?? "Loading…") : null,
      store.loaded && store.sessions.length === 0 ? h("p", { class: "muted pad" }, "No sessions yet.") : null,
      live.length ? h("h3", { class: "list-group" }, "Live") : null,
      live.length
        ? h(
            "ul",
            null,
            live.map((s) => row(s, activeId)),
          )
        : null,
      ended.length ? h("h3", { class: "list-group" }, "Ended") : null,
      ended.length
        ? h(
            "ul",
            null,
            ended.map((s) => row(s, activeId)),
          )
        : null,
      store.nextCursor
        ? h("button", { class: "btn btn-ghost btn-block", onclick: () => void store.loadMore() }, "Load older sessions")
        : null,
      store.error && store.loaded ? h("p", { class: "form-error pad" }, store.error) : null,
    );
    replace(host, list);
  };
  draw();
  // One subscription per host: a new render (route change) replaces the previous one.
  subscriptions.get(host)?.();
  subscriptions.set(host, app.store.subscribe(draw));
}

const subscriptions = new WeakMap<HTMLElement, () => void>();
