/** An org's lookups (`hive://lookup/<name>`): key → metadata maps, stored as JSON. */

export async function putLookup(db: D1Database, orgId: string, name: string, body: string, now: string): Promise<void> {
  await db
    .prepare(
      `INSERT INTO org_lookups (org_id, name, body, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (org_id, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
    )
    .bind(orgId, name, body, now)
    .run();
}

export async function getLookup(db: D1Database, orgId: string, name: string): Promise<{ body: string; updated_at: string } | null> {
  return db.prepare("SELECT body, updated_at FROM org_lookups WHERE org_id = ? AND name = ?").bind(orgId, name).first();
}

export async function deleteLookup(db: D1Database, orgId: string, name: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM org_lookups WHERE org_id = ? AND name = ?").bind(orgId, name).run()).meta.changes > 0;
}

/** The named lookups that exist, parsed (names a rule references but the org lacks are absent). */
export async function loadLookups(db: D1Database, orgId: string, names: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if (names.length === 0) return out;
  const { results } = await db
    .prepare(`SELECT name, body FROM org_lookups WHERE org_id = ?1 AND name IN (SELECT value FROM json_each(?2))`)
    .bind(orgId, JSON.stringify(names))
    .all<{ name: string; body: string }>();
  for (const r of results) out.set(r.name, JSON.parse(r.body));
  return out;
}
