/**
 * Org API keys: stored only as SHA-256 hashes, so a database leak reveals no usable key.
 * The operator lists, revokes and expires them; a revoked or expired key matches nothing, and
 * every accepted use records `last_used_at`.
 */
import { randomBytes, sha256Hex, toBase64Url } from "../crypto/encoding.ts";

/** The org a presented key belongs to. */
export interface OrgKeyMatch {
  id: string;
  org_id: string;
  /** When the key stops working (ISO), or null. */
  expires_at: string | null;
}

/** A key as the operator sees it: never the key itself. */
export interface OrgKeyInfo {
  id: string;
  org_id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** Timestamps are compared as text, so they are always stored in `toISOString()`'s one format. */
const normalized = (at: string | null): string | null => (at === null ? null : new Date(at).toISOString());

/** Mints a key for `orgId`; the plaintext is returned once and never stored. */
export async function createOrgKey(
  db: D1Database,
  orgId: string,
  name: string,
  id: string,
  now: string,
  expiresAt: string | null = null,
): Promise<string> {
  const key = `ais_org_${toBase64Url(randomBytes(32))}`;
  await db
    .prepare("INSERT INTO org_api_keys (id, org_id, name, key_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(id, orgId, name, await sha256Hex(key), now, normalized(expiresAt))
    .run();
  return key;
}

/** The live (not revoked, not expired) key row matching a presented key, or null; records the use. */
export async function findOrgKey(db: D1Database, key: string, now: string = new Date().toISOString()): Promise<OrgKeyMatch | null> {
  // One statement finds the key and records its use, so a revocation that commits first is always seen.
  return db
    .prepare(
      `UPDATE org_api_keys SET last_used_at = ?2
       WHERE key_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
       RETURNING id, org_id, expires_at`,
    )
    .bind(await sha256Hex(key), normalized(now))
    .first<OrgKeyMatch>();
}

const INFO_COLUMNS = "id, org_id, name, created_at, last_used_at, expires_at, revoked_at";

/** The org's keys, oldest first. */
export async function listOrgKeys(db: D1Database, orgId: string): Promise<OrgKeyInfo[]> {
  const { results } = await db
    .prepare(`SELECT ${INFO_COLUMNS} FROM org_api_keys WHERE org_id = ? ORDER BY created_at, id`)
    .bind(orgId)
    .all<OrgKeyInfo>();
  return results;
}

/** Revokes a key (a repeat keeps the first revocation time); null when the org has no such key. */
export async function revokeOrgKey(db: D1Database, orgId: string, id: string, now: string): Promise<OrgKeyInfo | null> {
  return db
    .prepare(`UPDATE org_api_keys SET revoked_at = COALESCE(revoked_at, ?3) WHERE org_id = ?1 AND id = ?2 RETURNING ${INFO_COLUMNS}`)
    .bind(orgId, id, normalized(now))
    .first<OrgKeyInfo>();
}

/** Sets (or with null, clears) a key's expiry; null when the org has no such key. */
export async function setOrgKeyExpiry(db: D1Database, orgId: string, id: string, expiresAt: string | null): Promise<OrgKeyInfo | null> {
  return db
    .prepare(`UPDATE org_api_keys SET expires_at = ?3 WHERE org_id = ?1 AND id = ?2 RETURNING ${INFO_COLUMNS}`)
    .bind(orgId, id, normalized(expiresAt))
    .first<OrgKeyInfo>();
}
