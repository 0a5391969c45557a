/** Org API keys: stored only as SHA-256 hashes, so a database leak reveals no usable key. */
import { randomBytes, sha256Hex, toBase64Url } from "../crypto/encoding.ts";

/** The org a presented key belongs to. */
export interface OrgKeyMatch {
  id: string;
  org_id: string;
}

/** Mints a key for `orgId`; the plaintext is returned once and never stored. */
export async function createOrgKey(db: D1Database, orgId: string, name: string, id: string, now: string): Promise<string> {
  const key = `ais_org_${toBase64Url(randomBytes(32))}`;
  await db
    .prepare("INSERT INTO org_api_keys (id, org_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(id, orgId, name, await sha256Hex(key), now)
    .run();
  return key;
}

/** The key row matching a presented key, or null. */
export async function findOrgKey(db: D1Database, key: string): Promise<OrgKeyMatch | null> {
  return db.prepare("SELECT id, org_id FROM org_api_keys WHERE key_hash = ?").bind(await sha256Hex(key)).first<OrgKeyMatch>();
}
