/**
 * One Durable Object per org for the state rules share across events: rendered idempotent
 * keys (24 h, DR.md Q22) and the live session of each debounce key. Every check-then-reserve
 * is synchronous SQLite, so it cannot interleave with another request: of two events racing
 * for one key, exactly one gets `start`. An event that finds its debounce key busy leaves its
 * start here as the key's pending one (a newer one replaces it, DR.md §5.2); when the live
 * session ends (the session object says so), the pending start starts. Starting a session is
 * the Worker's code, so the class that wrangler binds (worker/rules/org-rule-state.ts)
 * supplies `startRuleSession`. It also keeps each sensor's variables (`add var` / `del var`,
 * read by `[[name]]` values).
 */
import { DurableObject } from "cloudflare:workers";
import type { ClaimRequest, ClaimResult, OrgRuleStateRpc, RuleSessionStart, VarChange } from "../platform/contracts/org-rule-state.ts";
import type { Env } from "../platform/env.ts";
import { IDEMPOTENT_KEY_TTL_MS } from "../schemas/rules.ts";

/** Variables per sensor, and values per variable (DR.md SV §Limits): beyond either, that variable is cleared. */
const MAX_VARIABLES = 16;
const MAX_VALUES = 32;

/** A reservation whose Worker never confirmed nor abandoned it (it died) frees its keys after this. */
const STALE_RESERVATION_MS = 5 * 60 * 1000;

/** How long an ended session whose start was not yet confirmed is remembered (its confirm comes within seconds). */
const ENDED_EARLY_MS = 60 * 60 * 1000;

export abstract class OrgRuleStateBase extends DurableObject<Env> implements OrgRuleStateRpc {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS idempotent_keys (key TEXT PRIMARY KEY, session_id TEXT, token TEXT NOT NULL, at INTEGER NOT NULL)`,
    );
    sql.exec(`CREATE INDEX IF NOT EXISTS idempotent_by_at ON idempotent_keys (at)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS debounce_keys (key TEXT PRIMARY KEY, session_id TEXT, token TEXT NOT NULL, at INTEGER NOT NULL)`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS sensor_vars (sid TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, expires INTEGER, PRIMARY KEY (sid, name, value))`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS debounce_pending (key TEXT PRIMARY KEY, start TEXT NOT NULL, at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS ended_sessions (session_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  }

  /** Starts a rule's session (the Worker's code path); returns its id, or throws. */
  protected abstract startRuleSession(start: RuleSessionStart): Promise<string>;

  variables(sid: string, now: number): Record<string, string[]> {
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM sensor_vars WHERE sid = ? AND expires IS NOT NULL AND expires <= ?`, sid, now);
    const out: Record<string, string[]> = {};
    for (const row of sql.exec<{ name: string; value: string }>(`SELECT name, value FROM sensor_vars WHERE sid = ? ORDER BY rowid`, sid)) {
      (out[row.name] ??= []).push(row.value);
    }
    return out;
  }

  changeVariables(sid: string, changes: VarChange[], now: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM sensor_vars WHERE sid = ? AND expires IS NOT NULL AND expires <= ?`, sid, now);
    for (const c of changes) {
      if (c.op === "del") {
        if (c.value === null) sql.exec(`DELETE FROM sensor_vars WHERE sid = ? AND name = ?`, sid, c.name);
        else sql.exec(`DELETE FROM sensor_vars WHERE sid = ? AND name = ? AND value = ?`, sid, c.name, c.value);
        continue;
      }
      const expires = c.ttl === null ? null : now + c.ttl * 1000;
      const names = sql
        .exec<{ n: number }>(`SELECT COUNT(DISTINCT name) AS n FROM sensor_vars WHERE sid = ? AND name != ?`, sid, c.name)
        .one().n;
      // A 17th variable overflows: it is not kept (the documented "overflow clears it").
      if (names >= MAX_VARIABLES) continue;
      sql.exec(
        `INSERT INTO sensor_vars (sid, name, value, expires) VALUES (?, ?, ?, ?) ON CONFLICT (sid, name, value) DO UPDATE SET expires = excluded.expires`,
        sid,
        c.name,
        c.value ?? "",
        expires,
      );
      const values = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM sensor_vars WHERE sid = ? AND name = ?`, sid, c.name).one().n;
      if (values > MAX_VALUES) sql.exec(`DELETE FROM sensor_vars WHERE sid = ? AND name = ?`, sid, c.name);
    }
  }

  claim(request: ClaimRequest): ClaimResult {
    const sql = this.ctx.storage.sql;
    const { idempotentKey, debounceKey, now } = request;
    sql.exec(
      `DELETE FROM idempotent_keys WHERE at <= ? OR (session_id IS NULL AND at <= ?)`,
      now - IDEMPOTENT_KEY_TTL_MS,
      now - STALE_RESERVATION_MS,
    );
    sql.exec(`DELETE FROM debounce_keys WHERE session_id IS NULL AND at <= ?`, now - STALE_RESERVATION_MS);
    if (idempotentKey !== null) {
      const used = sql
        .exec<{ session_id: string | null }>(`SELECT session_id FROM idempotent_keys WHERE key = ?`, idempotentKey)
        .toArray()[0];
      if (used) return { outcome: "duplicate", sessionId: used.session_id };
    }
    if (debounceKey !== null) {
      const held = sql.exec<{ session_id: string | null }>(`SELECT session_id FROM debounce_keys WHERE key = ?`, debounceKey).toArray()[0];
      if (held) {
        if (request.pending)
          sql.exec(
            `INSERT INTO debounce_pending (key, start, at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET start = excluded.start, at = excluded.at`,
            debounceKey,
            JSON.stringify(request.pending),
            now,
          );
        return { outcome: "busy", sessionId: held.session_id, queued: request.pending !== undefined };
      }
      // This start is newer than any pending one the key kept.
      sql.exec(`DELETE FROM debounce_pending WHERE key = ?`, debounceKey);
    }
    const token = crypto.randomUUID();
    if (idempotentKey !== null)
      sql.exec(`INSERT INTO idempotent_keys (key, session_id, token, at) VALUES (?, NULL, ?, ?)`, idempotentKey, token, now);
    if (debounceKey !== null)
      sql.exec(`INSERT INTO debounce_keys (key, session_id, token, at) VALUES (?, NULL, ?, ?)`, debounceKey, token, now);
    return { outcome: "start", token };
  }

  async confirm(token: string, sessionId: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec(`UPDATE idempotent_keys SET session_id = ? WHERE token = ?`, sessionId, token);
    sql.exec(`UPDATE debounce_keys SET session_id = ? WHERE token = ?`, sessionId, token);
    // The session ended before its start was confirmed: its keys pass on now.
    if (sql.exec(`DELETE FROM ended_sessions WHERE session_id = ?`, sessionId).rowsWritten > 0) await this.sessionEnded(sessionId);
  }

  async sessionEnded(sessionId: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const keys = sql.exec<{ key: string }>(`SELECT key FROM debounce_keys WHERE session_id = ?`, sessionId).toArray();
    if (keys.length === 0) {
      sql.exec(`DELETE FROM ended_sessions WHERE at <= ?`, now - ENDED_EARLY_MS);
      // Either it held no key, or its start is not confirmed yet (confirm looks here).
      sql.exec(`INSERT OR IGNORE INTO ended_sessions (session_id, at) VALUES (?, ?)`, sessionId, now);
      return;
    }
    sql.exec(`DELETE FROM debounce_keys WHERE session_id = ?`, sessionId);
    for (const { key } of keys) await this.#startPending(key);
  }

  /** Starts the pending start of a free debounce key, if it has one; a start that fails frees the key for the next. */
  async #startPending(key: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (;;) {
      const row = sql.exec<{ start: string }>(`SELECT start FROM debounce_pending WHERE key = ?`, key).toArray()[0];
      if (!row) return;
      const start = JSON.parse(row.start) as RuleSessionStart;
      const claim = this.claim({ idempotentKey: start.idempotentKey, debounceKey: key, now: Date.now() });
      // Busy: a newer event took the key meanwhile (the pending start waits for that session).
      if (claim.outcome === "busy") return;
      if (claim.outcome === "duplicate") {
        sql.exec(`DELETE FROM debounce_pending WHERE key = ?`, key);
        continue;
      }
      try {
        await this.confirm(claim.token, await this.startRuleSession(start));
        return;
      } catch (error) {
        console.error(
          `a pending rule session (rule ${start.rule}) could not start: ${error instanceof Error ? error.message : String(error)}`,
        );
        this.abandon(claim.token);
      }
    }
  }

  abandon(token: string): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM idempotent_keys WHERE token = ?`, token);
    sql.exec(`DELETE FROM debounce_keys WHERE token = ?`, token);
  }

  releaseDebounce(debounceKey: string, sessionId: string): boolean {
    return this.ctx.storage.sql.exec(`DELETE FROM debounce_keys WHERE key = ? AND session_id = ?`, debounceKey, sessionId).rowsWritten > 0;
  }
}
