/** OAuth flows in progress: the PKCE verifier waits here (sealed) until the code arrives. */
import { open, seal, type Keyring } from "../crypto/sealed-box.ts";

/** A flow as the routes see it, verifier decrypted. */
export interface OAuthFlow {
  id: string;
  state: string;
  verifier: string;
  authorize_url: string;
  status: "url_ready" | "completed";
  expires_at: string;
}

const contextFor = (userId: string, flowId: string) => `oauth-flow:${userId}:${flowId}`;

/** Stores a new flow for `userId`. */
export async function insertFlow(db: D1Database, ring: Keyring, userId: string, flow: OAuthFlow, now: string): Promise<void> {
  const sealed = await seal(ring, flow.verifier, contextFor(userId, flow.id));
  // Old flows of this user are of no use once a new one starts (and expired ones never are).
  await db.batch([
    db.prepare("DELETE FROM oauth_flows WHERE user_id = ? AND (expires_at < ? OR status = 'completed')").bind(userId, now),
    db
      .prepare(
        "INSERT INTO oauth_flows (id, user_id, state, verifier_ciphertext, key_id, authorize_url, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .bind(flow.id, userId, flow.state, sealed.ciphertext, sealed.keyId, flow.authorize_url, flow.status, now, flow.expires_at),
  ]);
}

/** The user's flow with this id, or null (unknown and foreign ids alike). */
export async function findFlow(db: D1Database, ring: Keyring, userId: string, id: string): Promise<OAuthFlow | null> {
  const row = await db
    .prepare("SELECT id, state, verifier_ciphertext, authorize_url, status, expires_at FROM oauth_flows WHERE id = ? AND user_id = ?")
    .bind(id, userId)
    .first<Omit<OAuthFlow, "verifier"> & { verifier_ciphertext: string }>();
  if (!row) return null;
  const { verifier_ciphertext, ...rest } = row;
  return { ...rest, verifier: await open(ring, verifier_ciphertext, contextFor(userId, id)) };
}

/** Marks a flow used, so its code cannot be replayed. Returns false if it was already used. */
export async function completeFlow(db: D1Database, userId: string, id: string): Promise<boolean> {
  const result = await db
    .prepare("UPDATE oauth_flows SET status = 'completed' WHERE id = ? AND user_id = ? AND status = 'url_ready'")
    .bind(id, userId)
    .run();
  return result.meta.changes > 0;
}
