/**
 * The org view of detection & response (signed in with an org key): the org's rules with their
 * YAML, the recent detections with the sessions each started, and every session rules started.
 * Read-only; it refreshes itself every few seconds while the page is visible, so an event
 * posted elsewhere shows up here as its detection and its session.
 */
import "./rules.css";
import type { DetectionInfo, OrgApi, RuleInfo, RuleSessionInfo } from "../org-api.ts";
import { h, onDispose, relativeTime, replace } from "../dom.ts";
import { ruleSessionBadge, ruleSessionRow, ruleSessionTitle } from "./rules-session.ts";

/** How often the view asks for news: detections should appear soon after their event, without hammering the API. */
const REFRESH_MS = 4000;

interface Snapshot {
  rules: RuleInfo[];
  detections: DetectionInfo[];
  sessions: RuleSessionInfo[];
}

type Yaml = (value: unknown) => string;

/** The YAML module is loaded with this view only (the user UI never needs it). */
let yamlModule: Promise<Yaml> | null = null;
const loadYaml = () => {
  yamlModule ??= import("yaml").then((m) => (value: unknown) => m.stringify(value, { lineWidth: 0 }));
  return yamlModule;
};

function ruleCard(rule: RuleInfo, yaml: Yaml, open: boolean): HTMLElement {
  return h(
    "article",
    { class: "rule-card", "data-testid": "rule-card", "data-rule": rule.name },
    h(
      "header",
      null,
      h("strong", { class: "rule-name" }, rule.name),
      h(
        "span",
        { class: `chip${rule.enabled ? " chip-accent" : ""}`, "data-testid": "rule-enabled" },
        rule.enabled ? "enabled" : "disabled",
      ),
      h("span", { class: "muted small" }, `v${rule.version} · ${rule.namespace} · updated ${relativeTime(rule.updated_at)}`),
    ),
    h(
      "details",
      { open },
      h("summary", { class: "small" }, "YAML"),
      // Set as text: a rule's strings (names, values, prompts) are whatever its author wrote.
      h("pre", { class: "tool-pre rule-yaml", "data-testid": "rule-yaml" }, yaml(rule.rule)),
    ),
  );
}

function detectionRow(d: DetectionInfo, started: RuleSessionInfo[]): HTMLElement {
  const routing = (d.routing ?? {}) as Record<string, unknown>;
  const host = typeof routing.hostname === "string" ? routing.hostname : null;
  return h(
    "li",
    { class: "detection", "data-testid": "detection", "data-detect-id": d.detect_id },
    h(
      "div",
      { class: "detection-head" },
      h("strong", { class: "detection-cat" }, d.cat),
      d.priority !== null ? h("span", { class: "chip" }, `priority ${d.priority}`) : null,
      h("span", { class: "muted small" }, [d.source_rule, host, relativeTime(d.created_at)].filter(Boolean).join(" · ")),
    ),
    started.length
      ? h(
          "ul",
          { class: "detection-sessions" },
          started.map((s) =>
            h(
              "li",
              { "data-testid": "detection-session", "data-session-id": s.session_id },
              "→ ",
              h("span", null, ruleSessionTitle(s)),
              " ",
              ruleSessionBadge(s),
            ),
          ),
        )
      : h("p", { class: "muted small detection-sessions" }, "No session started."),
  );
}

export function renderRulesPage(api: OrgApi): HTMLElement {
  const status = h("span", { class: "muted small", "data-testid": "org-refreshed" }, "Loading…");
  const rulesHost = h("div", { class: "rule-list" });
  const detectionsHost = h("ul", { class: "detection-list" });
  const sessionsHost = h("div", { class: "rule-session-list" });
  const counts = {
    rules: h("span", { class: "chip" }, "…"),
    detections: h("span", { class: "chip" }, "…"),
    sessions: h("span", { class: "chip" }, "…"),
  };
  const openSessions = new Set<string>();
  let shown = "";
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const draw = (snap: Snapshot, yaml: Yaml) => {
    const detectionById = new Map(snap.detections.map((d) => [d.detect_id, d]));
    counts.rules.textContent = String(snap.rules.length);
    counts.detections.textContent = String(snap.detections.length);
    counts.sessions.textContent = String(snap.sessions.length);
    // A few rules are shown whole; many are listed folded.
    replace(
      rulesHost,
      snap.rules.length
        ? snap.rules.map((r) => ruleCard(r, yaml, snap.rules.length <= 3))
        : h("p", { class: "muted" }, "This org has no rules yet."),
    );
    replace(
      detectionsHost,
      snap.detections.length
        ? snap.detections.map((d) =>
            detectionRow(
              d,
              snap.sessions.filter((s) => s.detection_id === d.detect_id),
            ),
          )
        : h("li", { class: "muted" }, "No detections yet."),
    );
    replace(
      sessionsHost,
      snap.sessions.length
        ? snap.sessions.map((s) => ruleSessionRow(api, s, s.detection_id ? detectionById.get(s.detection_id) : undefined, openSessions))
        : h("p", { class: "muted" }, "No rule has started a session yet."),
    );
  };

  const refresh = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    try {
      const [yaml, rules, detections, sessions] = await Promise.all([loadYaml(), api.rules(), api.detections(), api.ruleSessions()]);
      if (stopped) return;
      const snap = { rules, detections, sessions };
      // Redrawn only when something changed, so open details and selections stay put.
      const key = JSON.stringify(snap);
      if (key !== shown) {
        shown = key;
        draw(snap, yaml);
      }
      status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (stopped) return;
      status.textContent = `Could not refresh: ${(error as Error).message}`;
    }
    schedule();
  };
  // A hidden page waits without asking; it catches up when shown again.
  const schedule = () => {
    if (!stopped) timer = setTimeout(() => void (document.hidden ? schedule() : refresh()), REFRESH_MS);
  };

  const el = h(
    "section",
    { class: "page org-page", "data-testid": "org-rules" },
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Detection & response"),
      h(
        "div",
        { class: "org-refresh" },
        status,
        h("button", { class: "btn btn-ghost btn-sm", type: "button", onclick: () => void refresh() }, "Refresh"),
      ),
    ),
    h(
      "div",
      { class: "org-grid" },
      h("section", { class: "card", "data-testid": "org-rule-list" }, h("h2", null, "Rules ", counts.rules), rulesHost),
      h(
        "div",
        null,
        h(
          "section",
          { class: "card", "data-testid": "org-detections" },
          h("h2", null, "Recent detections ", counts.detections),
          detectionsHost,
        ),
        h(
          "section",
          { class: "card", "data-testid": "org-rule-sessions" },
          h("h2", null, "Sessions started by rules ", counts.sessions),
          sessionsHost,
        ),
      ),
    ),
  );
  onDispose(el, () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  });
  void refresh();
  return el;
}
