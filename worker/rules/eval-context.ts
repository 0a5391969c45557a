/** The evaluation context of an org's rules: the clock and the org lookups the rules name (preloaded, read-only). */
import type { EvalContext } from "../../rules/detect/index.ts";
import { loadLookups } from "../../platform/db/lookups.ts";

export async function evalContext(db: D1Database, orgId: string, lookups: Iterable<string>): Promise<EvalContext> {
  const tables = await loadLookups(db, orgId, [...new Set(lookups)]);
  return { now: Date.now(), lookup: (name) => tables.get(name) };
}
