/**
 * One Durable Object per org for the state rules share across events: rendered idempotent
 * keys (24 h, DR.md Q22) and the live session of each debounce key. Every method is
 * synchronous SQLite, so a check-then-reserve cannot interleave with another request: of two
 * events racing for one key, exactly one gets `start`. It also keeps each sensor's variables
 * (`add var` / `del var`, read by `[[name]]` values).
 */
import { DurableObject } from "cloudflare:workers";
import type { ClaimRequest, ClaimResult, OrgRuleStateRpc, VarChange } from "../platform/contracts/org-rule-state.ts";
import type { Env } from "../platform/env.ts";
import { IDEMPOTENT_KEY_TTL_MS } from "../schemas/rules.ts";

/** Variables per sensor, and values per variable (DR.md SV §Limits): beyond either, that variable is cleared. */
const MAX_VARIABLES = 16;
const MAX_VALUES = 32;

/** A reservation whose Worker never confirmed nor abandoned it (it died) frees its keys after this. */
const STALE_RESERVATION_MS = 5 * 60 * 1000;

export class OrgRuleState extends DurableObject<Env> implements OrgRuleStateRpc {
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
  }

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
      if (held) return { outcome: "busy", sessionId: held.session_id };
    }
    const token = crypto.randomUUID();
    if (idempotentKey !== null)
      sql.exec(`INSERT INTO idempotent_keys (key, session_id, token, at) VALUES (?, NULL, ?, ?)`, idempotentKey, token, now);
    if (debounceKey !== null)
      sql.exec(`INSERT INTO debounce_keys (key, session_id, token, at) VALUES (?, NULL, ?, ?)`, debounceKey, token, now);
    return { outcome: "start", token };
  }

  confirm(token: string, sessionId: string): void {
    const sql = this.ctx.storage.sql;
    sql.exec(`UPDATE idempotent_keys SET session_id = ? WHERE token = ?`, sessionId, token);
    sql.exec(`UPDATE debounce_keys SET session_id = ? WHERE token = ?`, sessionId, token);
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
