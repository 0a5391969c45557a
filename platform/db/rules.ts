/** An org's detection & response rules in D1: the body as JSON, `enabled`, and a version bumped on every write. */

export interface RuleRow {
  name: string;
  namespace: string;
  body: string;
  enabled: number;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Creates or replaces a rule. A new rule takes `enabled ?? false`; a replace keeps its flag unless given. */
export async function putRule(
  db: D1Database,
  orgId: string,
  name: string,
  body: string,
  enabled: boolean | undefined,
  now: string,
): Promise<RuleRow> {
  const row = await db
    .prepare(
      `INSERT INTO org_rules (org_id, name, namespace, body, enabled, version, created_at, updated_at)
       VALUES (?1, ?2, 'general', ?3, COALESCE(?4, 0), 1, ?5, ?5)
       ON CONFLICT (org_id, name) DO UPDATE SET body = excluded.body, enabled = COALESCE(?4, org_rules.enabled),
         version = org_rules.version + 1, updated_at = excluded.updated_at
       RETURNING name, namespace, body, enabled, version, created_at, updated_at`,
    )
    .bind(orgId, name, body, enabled === undefined ? null : enabled ? 1 : 0, now)
    .first<RuleRow>();
  return row as RuleRow;
}

export async function countRules(db: D1Database, orgId: string): Promise<number> {
  return (await db.prepare("SELECT COUNT(*) AS n FROM org_rules WHERE org_id = ?").bind(orgId).first<{ n: number }>())?.n ?? 0;
}

export async function getRule(db: D1Database, orgId: string, name: string): Promise<RuleRow | null> {
  return db
    .prepare("SELECT name, namespace, body, enabled, version, created_at, updated_at FROM org_rules WHERE org_id = ? AND name = ?")
    .bind(orgId, name)
    .first<RuleRow>();
}

/** All rules, or only the enabled ones (what events are evaluated against). */
export async function listRules(db: D1Database, orgId: string, enabledOnly = false): Promise<RuleRow[]> {
  const where = enabledOnly ? "AND enabled = 1" : "";
  const { results } = await db
    .prepare(
      `SELECT name, namespace, body, enabled, version, created_at, updated_at FROM org_rules WHERE org_id = ? ${where} ORDER BY name`,
    )
    .bind(orgId)
    .all<RuleRow>();
  return results;
}

export async function deleteRule(db: D1Database, orgId: string, name: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM org_rules WHERE org_id = ? AND name = ?").bind(orgId, name).run()).meta.changes > 0;
}
