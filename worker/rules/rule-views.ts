/**
 * The wire forms of rules and replays: a stored rule as listed, and a planned action as the
 * replay route shows it (DR.md §8) — rendered exactly as it would run, without the detection
 * internals or the Anthropic credential reference.
 */
import type { PlannedAction } from "../../rules/rule/index.ts";
import type { RuleInfo } from "../../schemas/rules.ts";
import type { RuleRow } from "../../platform/db/rules.ts";

export function ruleInfo(row: RuleRow): RuleInfo {
  return {
    name: row.name,
    namespace: row.namespace,
    enabled: row.enabled === 1,
    version: row.version,
    rule: JSON.parse(row.body),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function actionView(a: PlannedAction): Record<string, unknown> {
  if ("failed" in a) return { action: a.action, failed: true, error: a.error };
  if (a.action === "report") {
    const { detection: _d, ...rest } = a;
    return rest;
  }
  if (a.action !== "start ai agent") return { ...a };
  return {
    action: a.action,
    name: a.name,
    prompt: a.prompt,
    idempotent_key: a.idempotent_key,
    debounce_key: a.debounce_key,
    profile: a.profile,
    one_shot: a.one_shot,
  };
}
