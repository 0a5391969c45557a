/**
 * One Durable Object per user that counts exactly. A Durable Object runs one request at a
 * time and its SQLite calls are synchronous, so a check-then-record below cannot interleave
 * with another: two racing requests can never both take the last slot. The Worker asks it
 * before rate-limited operations (registration now; session creation and concurrency next).
 */
import { DurableObject } from "cloudflare:workers";
import type { QuotaDecision, UserQuotaRpc } from "../platform/contracts/user-quota.ts";
import type { Env } from "../platform/env.ts";

export class UserQuota extends DurableObject<Env> implements UserQuotaRpc {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A sliding-window log: one row per counted use. Rows older than any window are pruned.
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS hits (bucket TEXT NOT NULL, at INTEGER NOT NULL)`);
    ctx.storage.sql.exec(`CREATE INDEX IF NOT EXISTS hits_by_bucket ON hits (bucket, at)`);
    // The user's live sessions: a slot is taken at creation and freed when the session ends.
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS live_sessions (id TEXT PRIMARY KEY, since INTEGER NOT NULL)`);
  }

  /** Records one use of `bucket` if fewer than `limit` happened in the last `windowMs`. */
  take(bucket: string, limit: number, windowMs: number): QuotaDecision {
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM hits WHERE bucket = ? AND at <= ?`, bucket, now - windowMs);
    const { used, oldest } = sql
      .exec<{ used: number; oldest: number | null }>(`SELECT COUNT(*) AS used, MIN(at) AS oldest FROM hits WHERE bucket = ?`, bucket)
      .one();
    if (used >= limit) {
      const retryAfterMs = (oldest ?? now) + windowMs - now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    }
    sql.exec(`INSERT INTO hits (bucket, at) VALUES (?, ?)`, bucket, now);
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /** Takes one of the user's `limit` live-session slots for `sessionId`; false when all are taken. */
  claimSessionSlot(sessionId: string, limit: number): boolean {
    const sql = this.ctx.storage.sql;
    const { live } = sql.exec<{ live: number }>(`SELECT COUNT(*) AS live FROM live_sessions`).one();
    if (live >= limit) return false;
    sql.exec(`INSERT OR IGNORE INTO live_sessions (id, since) VALUES (?, ?)`, sessionId, Date.now());
    return true;
  }

  /** Frees the slot of a session that ended (idempotent). */
  releaseSessionSlot(sessionId: string): void {
    this.ctx.storage.sql.exec(`DELETE FROM live_sessions WHERE id = ?`, sessionId);
  }

  /** Ids of the user's live sessions. */
  liveSessionIds(): string[] {
    return this.ctx.storage.sql
      .exec<{ id: string }>(`SELECT id FROM live_sessions ORDER BY since`)
      .toArray()
      .map((r) => r.id);
  }
}
