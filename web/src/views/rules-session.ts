/**
 * One session a rule started, as the org view shows it: a row with its state that opens on
 * its details, loaded when opened: the rule, the detection and the rendered keys, the prompt
 * the agent received (the rendered template with its data block) and its report (the text of
 * its last message). All of it is agent- or event-controlled text, set as text, never markup.
 */
import type { DetectionInfo, OrgApi, RuleSessionInfo } from "../org-api.ts";
import { h, relativeTime, replace } from "../dom.ts";
import { endReasonText } from "./session-list.ts";

/** The state badge of a rule's session: Running while it starts or runs, else Ended and why. */
export function ruleSessionBadge(s: Pick<RuleSessionInfo, "status" | "end_reason">): HTMLElement {
  const ended = s.status === "ended";
  return h(
    "span",
    { class: `badge badge-${ended ? "ended" : "running"}`, "data-testid": "rule-session-state", "data-state": s.status },
    h("span", { class: "dot", "aria-hidden": "true" }),
    ended ? `Ended${s.end_reason ? ` · ${endReasonText(s.end_reason)}` : ""}` : s.status === "starting" ? "Starting" : "Running",
  );
}

export const ruleSessionTitle = (s: Pick<RuleSessionInfo, "name" | "session_id">) =>
  s.name?.trim() || `Session ${s.session_id.slice(0, 8)}`;

/** The text of the agent's last message: what a triage session reports. */
function lastReport(messages: Awaited<ReturnType<OrgApi["history"]>>): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.type !== "assistant") continue;
    const text = m.payload.content
      .filter((b) => b.type === "text" && typeof b.text === "string")
      .map((b) => b.text as string)
      .join("\n")
      .trim();
    if (text) return text;
  }
  return null;
}

/** The details of one session, read when its row opens (again while it has not ended). */
async function loadDetails(api: OrgApi, s: RuleSessionInfo, detection: DetectionInfo | undefined, host: HTMLElement): Promise<boolean> {
  replace(host, h("p", { class: "muted small" }, "Loading…"));
  try {
    const [record, messages] = await Promise.all([api.session(s.session_id), api.history(s.session_id)]);
    const report = lastReport(messages);
    const fact = (label: string, value: string | null | undefined) => (value ? [h("dt", null, label), h("dd", null, value)] : null);
    replace(
      host,
      h(
        "dl",
        { class: "facts" },
        fact("Session", s.session_id),
        fact("Rule", s.rule),
        fact("Detection", detection ? `${detection.cat} (${s.detection_id})` : s.detection_id),
        fact("Idempotent key", s.idempotent_key),
        fact("Debounce key", s.debounce_key),
        fact("Started", new Date(s.created_at).toLocaleString()),
        fact(
          "Ended",
          record.terminated_at ? `${new Date(record.terminated_at).toLocaleString()} · ${endReasonText(record.end_reason)}` : null,
        ),
      ),
      h("div", { class: "tool-label" }, "Prompt"),
      h("pre", { class: "tool-pre", "data-testid": "rule-session-prompt" }, record.initial_prompt ?? ""),
      h("div", { class: "tool-label" }, "Report"),
      report
        ? h("pre", { class: "tool-pre", "data-testid": "rule-session-report" }, report)
        : h("p", { class: "muted small" }, record.status === "ended" ? "The agent wrote no report." : "The agent is still working."),
    );
    return record.status === "ended";
  } catch (error) {
    replace(host, h("p", { class: "form-error" }, (error as Error).message));
    return false;
  }
}

/** A session row that opens on its details; `open` keeps it open across the page's refreshes. */
export function ruleSessionRow(api: OrgApi, s: RuleSessionInfo, detection: DetectionInfo | undefined, open: Set<string>): HTMLElement {
  const body = h("div", { class: "rule-session-body" });
  let final = false;
  const details = h(
    "details",
    {
      class: "rule-session",
      "data-testid": "rule-session",
      "data-session-id": s.session_id,
      ontoggle: () => {
        if (!details.open) {
          open.delete(s.session_id);
          return;
        }
        open.add(s.session_id);
        if (!final) void loadDetails(api, s, detection, body).then((ended) => (final = ended));
      },
    },
    h(
      "summary",
      null,
      h("span", { class: "rule-session-name" }, ruleSessionTitle(s)),
      ruleSessionBadge(s),
      h("span", { class: "muted small" }, `${s.rule}${detection ? ` · ${detection.cat}` : ""} · ${relativeTime(s.created_at)}`),
    ),
    body,
  );
  if (open.has(s.session_id)) details.open = true;
  return details;
}
