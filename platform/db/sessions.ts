/** The D1 session index: ownership and listing. The session's Durable Object holds the truth. */
import type { SessionSummary } from "../../schemas/session.ts";

/** The index row of one session. */
export interface SessionRow {
  id: string;
  /** The owner: a user's `sub`, or `org:<org id>`. */
  user_id: string;
  org_id: string | null;
  name: string | null;
  status: SessionSummary["status"];
  ui_state: SessionSummary["ui_state"];
  needs_attention: number;
  dormant: number;
  profile_id: string | null;
  idempotent_key: string | null;
  created_at: string;
  started_at: string | null;
  terminated_at: string | null;
  end_reason: SessionSummary["end_reason"];
  /** JSON arrays of the session's effective tool lists. */
  allowed_tools: string;
  denied_tools: string;
  /** Null in rows made before the column existed. */
  region: string | null;
  exit_code: number | null;
}

/** The index row of `id`, whoever owns it. */
export function findSessionRow(db: D1Database, id: string): Promise<SessionRow | null> {
  return db.prepare("SELECT * FROM sessions WHERE id = ?").bind(id).first<SessionRow>();
}

/** Adds a new session to the index. */
export async function insertSessionRow(
  db: D1Database,
  row: Pick<SessionRow, "id" | "user_id" | "org_id" | "name" | "profile_id" | "idempotent_key" | "created_at"> & {
    created_by_key: string | null;
    /** The listing fields fixed at creation (the product's clients read them in list rows). */
    listed?: { allowed_tools: string[]; denied_tools: string[]; region: string };
  },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO sessions (id, user_id, org_id, name, status, profile_id, idempotent_key, created_at, created_by_key, allowed_tools, denied_tools, region)
       VALUES (?, ?, ?, ?, 'starting', ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.user_id,
      row.org_id,
      row.name,
      row.profile_id,
      row.idempotent_key,
      row.created_at,
      row.created_by_key,
      JSON.stringify(row.listed?.allowed_tools ?? []),
      JSON.stringify(row.listed?.denied_tools ?? []),
      row.listed?.region ?? null,
    )
    .run();
}

/** The user's live session created with `key`, if any. */
export function findLiveByIdempotentKey(db: D1Database, userId: string, key: string): Promise<{ id: string } | null> {
  return db
    .prepare("SELECT id FROM sessions WHERE user_id = ? AND idempotent_key = ? AND status != 'ended' ORDER BY created_at DESC LIMIT 1")
    .bind(userId, key)
    .first<{ id: string }>();
}

/** The listing fields the session's Durable Object mirrors into the index on every change. */
export interface SessionIndexFields {
  /** Set by the first prompt when the session was created without one (durable-objects/session/session-name.ts). */
  name: string | null;
  status: SessionRow["status"];
  ui_state: SessionRow["ui_state"];
  needs_attention: boolean;
  dormant: boolean;
  terminated_at: string | null;
  end_reason: SessionRow["end_reason"];
  started_at: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  exit_code: number | null;
}

/** Mirrors a session's listing fields into its index row, where GET /v1/sessions reads them. */
export async function updateSessionIndex(db: D1Database, id: string, f: SessionIndexFields): Promise<void> {
  await db
    .prepare(
      `UPDATE sessions SET name = ?, status = ?, ui_state = ?, needs_attention = ?, dormant = ?, terminated_at = ?, end_reason = ?,
         started_at = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, exit_code = ? WHERE id = ?`,
    )
    .bind(
      f.name,
      f.status,
      f.ui_state,
      f.needs_attention ? 1 : 0,
      f.dormant ? 1 : 0,
      f.terminated_at,
      f.end_reason,
      f.started_at,
      f.input_tokens,
      f.output_tokens,
      f.cost_usd,
      f.exit_code,
      id,
    )
    .run();
}

/** Ids of the org's sessions that have not ended (their sockets may still be open). */
export async function liveOrgSessionIds(db: D1Database, orgId: string): Promise<string[]> {
  const { results } = await db.prepare("SELECT id FROM sessions WHERE org_id = ? AND status != 'ended'").bind(orgId).all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Removes a session from the index. */
export async function deleteSessionRow(db: D1Database, id: string): Promise<void> {
  await db.prepare("DELETE FROM sessions WHERE id = ?").bind(id).run();
}

/** A page of the user's sessions, newest first, after `cursor` (`created_at`, `id` of the last row seen). */
export async function listSessionRows(
  db: D1Database,
  userId: string,
  options: { status?: string; limit: number; after?: { createdAt: string; id: string } },
): Promise<SessionRow[]> {
  const where = ["user_id = ?"];
  const binds: unknown[] = [userId];
  if (options.status) {
    where.push("status = ?");
    binds.push(options.status);
  }
  if (options.after) {
    where.push("(created_at < ? OR (created_at = ? AND id < ?))");
    binds.push(options.after.createdAt, options.after.createdAt, options.after.id);
  }
  const { results } = await db
    .prepare(`SELECT * FROM sessions WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .bind(...binds, options.limit)
    .all<SessionRow>();
  return results;
}

/** The summary the list route returns for a row. */
export function toSummary(row: SessionRow): SessionSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    ui_state: row.ui_state,
    needs_attention: row.needs_attention === 1,
    dormant: row.dormant === 1,
    created_at: row.created_at,
    started_at: row.started_at,
    terminated_at: row.terminated_at,
    end_reason: row.end_reason,
    // What the product's clients and documentation read in list rows (the record has them too).
    allowed_tools: JSON.parse(row.allowed_tools) as string[],
    denied_tools: JSON.parse(row.denied_tools) as string[],
    exit_code: row.exit_code,
    region: row.region ?? "local",
    lc_auth_type: row.org_id ? "org_api_key" : "jwt",
  };
}
