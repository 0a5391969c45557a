/** The user's Claude credential, sealed at rest. Nothing here ever returns the plaintext to a route. */
import { open, seal, type Keyring } from "../crypto/sealed-box.ts";
import { credentialChanged, type GatewaySessionRow } from "./gateway-session-cache.ts";

export type CredentialType = "api_key" | "oauth_token";

/** What may be said about a stored credential without revealing it. */
export interface CredentialInfo {
  credential_type: CredentialType;
  created_at: string;
}

/** The secret inside a credential row. OAuth tokens carry their refresh token and expiry. */
export type CredentialSecret =
  | { type: "api_key"; api_key: string }
  | { type: "oauth_token"; access_token: string; refresh_token: string | null; expires_at: string | null };

/** Binds a credential ciphertext to its owner. */
const contextFor = (userId: string) => `claude-credential:${userId}`;

/** Stores (or replaces) the user's credential, sealed. */
export async function storeCredential(db: D1Database, ring: Keyring, userId: string, secret: CredentialSecret, now: string): Promise<void> {
  const sealed = await seal(ring, JSON.stringify(secret), contextFor(userId));
  await db
    .prepare(
      `INSERT INTO claude_credentials (user_id, credential_type, ciphertext, key_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET credential_type = excluded.credential_type,
         ciphertext = excluded.ciphertext, key_id = excluded.key_id, created_at = excluded.created_at`,
    )
    .bind(userId, secret.type, sealed.ciphertext, sealed.keyId, now)
    .run()
    .finally(() => credentialChanged(userId)); // after the write: a gateway read overlapping it is not kept
}

/** Type and age of the user's credential, or null when none is stored. */
export function credentialInfo(db: D1Database, userId: string): Promise<CredentialInfo | null> {
  return db.prepare("SELECT credential_type, created_at FROM claude_credentials WHERE user_id = ?").bind(userId).first<CredentialInfo>();
}

/** The decrypted credential, for the model gateway only. */
export async function loadCredential(db: D1Database, ring: Keyring, userId: string): Promise<CredentialSecret | null> {
  const row = await db.prepare("SELECT ciphertext FROM claude_credentials WHERE user_id = ?").bind(userId).first<{ ciphertext: string }>();
  if (!row) return null;
  return openCredential(ring, userId, row.ciphertext);
}

/** Opens a credential ciphertext read from `userId`'s row, for the model gateway only. */
export async function openCredential(ring: Keyring, userId: string, ciphertext: string): Promise<CredentialSecret> {
  return JSON.parse(await open(ring, ciphertext, contextFor(userId))) as CredentialSecret;
}

/**
 * The model gateway's one index read per call: whether the session exists, and the sealed
 * credential it is most likely paid with, read together (the session's admission decides
 * whether and which credential is used; the ciphertext is opened only after it).
 */
export function findGatewaySession(db: D1Database, sessionId: string): Promise<GatewaySessionRow | null> {
  return db
    .prepare(
      `SELECT s.user_id, s.org_id, c.ciphertext FROM sessions s
       LEFT JOIN claude_credentials c ON c.user_id = s.user_id AND s.org_id IS NULL WHERE s.id = ?`,
    )
    .bind(sessionId)
    .first<GatewaySessionRow>();
}

/** Removes the user's credential; true when one existed. */
export async function deleteCredential(db: D1Database, userId: string): Promise<boolean> {
  const result = await db
    .prepare("DELETE FROM claude_credentials WHERE user_id = ?")
    .bind(userId)
    .run()
    .finally(() => credentialChanged(userId));
  return result.meta.changes > 0;
}
