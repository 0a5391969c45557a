/** Org secrets (`hive://secret/<name>`), sealed like credentials; values never leave except to the gateway and the sandbox env. */
import { SECRET_REFERENCE } from "../../schemas/org.ts";
import { open, seal, type Keyring } from "../crypto/sealed-box.ts";

/** A secret's listing: no value. */
export interface OrgSecretInfo {
  name: string;
  created_at: string;
  updated_at: string;
}

const contextFor = (orgId: string, name: string) => `org-secret:${orgId}:${name}`;

/** Creates or replaces a secret. */
export async function putOrgSecret(db: D1Database, ring: Keyring, orgId: string, name: string, value: string, now: string): Promise<void> {
  const sealed = await seal(ring, value, contextFor(orgId, name));
  await db
    .prepare(
      `INSERT INTO org_secrets (org_id, name, ciphertext, key_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
       ON CONFLICT (org_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, key_id = excluded.key_id, updated_at = excluded.updated_at`,
    )
    .bind(orgId, name, sealed.ciphertext, sealed.keyId, now)
    .run();
}

/** The org's secrets, names only. */
export async function listOrgSecrets(db: D1Database, orgId: string): Promise<OrgSecretInfo[]> {
  const { results } = await db.prepare("SELECT name, created_at, updated_at FROM org_secrets WHERE org_id = ? ORDER BY name").bind(orgId).all<OrgSecretInfo>();
  return results;
}

/** Deletes a secret; true when it existed. */
export async function deleteOrgSecret(db: D1Database, orgId: string, name: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM org_secrets WHERE org_id = ? AND name = ?").bind(orgId, name).run()).meta.changes > 0;
}

/** A secret's value, or null. */
export async function readOrgSecret(db: D1Database, ring: Keyring, orgId: string, name: string): Promise<string | null> {
  const row = await db.prepare("SELECT ciphertext FROM org_secrets WHERE org_id = ? AND name = ?").bind(orgId, name).first<{ ciphertext: string }>();
  return row ? open(ring, row.ciphertext, contextFor(orgId, name)) : null;
}

/** Replaces every `hive://secret/<name>` value with the secret; unknown names are listed in `missing`. */
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
    const secret = await readOrgSecret(db, ring, orgId, name);
    if (secret === null) missing.push(name);
    else resolved[key] = secret;
  }
  return { resolved, missing };
}
