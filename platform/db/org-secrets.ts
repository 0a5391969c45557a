/**
 * Org secrets (`hive://secret/<name>`), sealed like credentials; values never leave except to
 * the gateway and, for secrets granted to sessions (`expose_to_sessions`), the sandbox env.
 */
import { SECRET_REFERENCE } from "../../schemas/org.ts";
import { open, seal, type Keyring } from "../crypto/sealed-box.ts";

/** A secret's listing: no value. */
export interface OrgSecretInfo {
  name: string;
  expose_to_sessions: boolean;
  created_at: string;
  updated_at: string;
}

const contextFor = (orgId: string, name: string) => `org-secret:${orgId}:${name}`;

/** Creates or replaces a secret. */
export async function putOrgSecret(
  db: D1Database,
  ring: Keyring,
  orgId: string,
  name: string,
  value: string,
  now: string,
  exposeToSessions = false,
): Promise<void> {
  const sealed = await seal(ring, value, contextFor(orgId, name));
  // The grant is replaced with the value: rewriting a secret without it withdraws it.
  await db
    .prepare(
      `INSERT INTO org_secrets (org_id, name, ciphertext, key_id, created_at, updated_at, expose_to_sessions) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
       ON CONFLICT (org_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, key_id = excluded.key_id, updated_at = excluded.updated_at,
         expose_to_sessions = excluded.expose_to_sessions`,
    )
    .bind(orgId, name, sealed.ciphertext, sealed.keyId, now, exposeToSessions ? 1 : 0)
    .run();
}

/** The org's secrets, names only. */
export async function listOrgSecrets(db: D1Database, orgId: string): Promise<OrgSecretInfo[]> {
  const { results } = await db
    .prepare("SELECT name, expose_to_sessions, created_at, updated_at FROM org_secrets WHERE org_id = ? ORDER BY name")
    .bind(orgId)
    .all<Omit<OrgSecretInfo, "expose_to_sessions"> & { expose_to_sessions: number }>();
  return results.map((row) => ({ ...row, expose_to_sessions: row.expose_to_sessions === 1 }));
}

/** Deletes a secret; true when it existed. */
export async function deleteOrgSecret(db: D1Database, orgId: string, name: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM org_secrets WHERE org_id = ? AND name = ?").bind(orgId, name).run()).meta.changes > 0;
}

/** A secret's value, or null; `forSessions` reads only secrets granted to sessions. */
export async function readOrgSecret(
  db: D1Database,
  ring: Keyring,
  orgId: string,
  name: string,
  forSessions = false,
): Promise<string | null> {
  const row = await db
    .prepare(`SELECT ciphertext FROM org_secrets WHERE org_id = ? AND name = ?${forSessions ? " AND expose_to_sessions = 1" : ""}`)
    .bind(orgId, name)
    .first<{ ciphertext: string }>();
  return row ? open(ring, row.ciphertext, contextFor(orgId, name)) : null;
}

/**
 * Replaces every `hive://secret/<name>` value with the secret, for a sandbox's environment:
 * only secrets granted to sessions resolve; unknown and ungranted names are listed in `missing`
 * (alike, so the listing reveals nothing the org's key could not see anyway).
 */
export async function resolveSecretReferences(
  db: D1Database,
  ring: Keyring,
  orgId: string,
  values: Record<string, string>,
): Promise<{ resolved: Record<string, string>; missing: string[] }> {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const name = SECRET_REFERENCE.exec(value)?.[1];
    if (!name) {
      resolved[key] = value;
      continue;
    }
    const secret = await readOrgSecret(db, ring, orgId, name, true);
    if (secret === null) missing.push(name);
    else resolved[key] = secret;
  }
  return { resolved, missing };
}
