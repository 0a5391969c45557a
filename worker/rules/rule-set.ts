/**
 * An org's enabled rules, compiled once per rule version and kept per isolate, indexed by the
 * event types (or report names) their root selects, so an event only meets the rules that
 * can match it. A rule stored by an older code version that no longer compiles is skipped
 * (and named), never a failed request.
 */
import { type CompiledRule, compileRule } from "../../rules/rule/index.ts";
import { listRules } from "../../platform/db/rules.ts";

export interface RuleEntry {
  name: string;
  version: number;
  /** The stored body compiled: a rule deleted and created again restarts at version 1. */
  body: string;
  rule: CompiledRule;
}

/** The rules of one target, indexed by selected type; `any` holds rules without a selector. */
export class TargetRules {
  readonly #byType = new Map<string, RuleEntry[]>();
  readonly #any: RuleEntry[] = [];

  add(entry: RuleEntry): void {
    const types = entry.rule.detection.types;
    if (!types) {
      this.#any.push(entry);
      return;
    }
    for (const t of new Set(types)) {
      const list = this.#byType.get(t) ?? [];
      list.push(entry);
      this.#byType.set(t, list);
    }
  }

  /** Rules that may match an input of `type`, in name order. */
  candidates(type: unknown): RuleEntry[] {
    const typed = typeof type === "string" ? (this.#byType.get(type) ?? []) : [];
    if (this.#any.length === 0) return typed;
    if (typed.length === 0) return this.#any;
    return [...typed, ...this.#any].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

export interface OrgRuleSet {
  edr: TargetRules;
  detection: TargetRules;
  lookups: Set<string>;
  /** Whether any rule reads sensor variables (then each event's sensor's are fetched). */
  readsVariables: boolean;
  broken: string[];
}

/** Compiled rules by `org\0name`; an entry is reused while its version is unchanged. */
const compiled = new Map<string, RuleEntry>();
/** Bound on cached rules per isolate (orgs × rules); beyond it the oldest entries go. */
const MAX_CACHED = 20_000;

export async function loadRuleSet(db: D1Database, orgId: string): Promise<OrgRuleSet> {
  const set: OrgRuleSet = { edr: new TargetRules(), detection: new TargetRules(), lookups: new Set(), readsVariables: false, broken: [] };
  for (const row of await listRules(db, orgId, true)) {
    const key = `${orgId}\u0000${row.name}`;
    let entry = compiled.get(key);
    if (!entry || entry.version !== row.version || entry.body !== row.body) {
      const c = compileRule(JSON.parse(row.body));
      if (!c.ok) {
        set.broken.push(row.name);
        continue;
      }
      entry = { name: row.name, version: row.version, body: row.body, rule: c.rule };
      compiled.delete(key);
      compiled.set(key, entry);
      if (compiled.size > MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
    }
    (entry.rule.detection.target === "detection" ? set.detection : set.edr).add(entry);
    for (const l of entry.rule.detection.lookups) set.lookups.add(l);
    if (entry.rule.detection.variables.length > 0) set.readsVariables = true;
  }
  return set;
}
