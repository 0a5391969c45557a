/**
 * Reading sessions for an owner (a user's `sub`, or `org:<org id>`): the same answers for the
 * user routes and the org routes, with ownership checked on each.
 */
import type { z } from "zod";
import type { HistoryQuery, Session, SessionListQuery, SessionSummary } from "../../schemas/session.ts";
import { fromBase64, toBase64Url } from "../../platform/crypto/encoding.ts";
import { findSessionRow, listSessionRows, toSummary, type SessionRow } from "../../platform/db/sessions.ts";
import type { Env } from "../../platform/env.ts";
import { ApiError, notFound } from "../../platform/errors.ts";
import { streamWholeHistory } from "./history-stream.ts";
import { sessionStub } from "./start-session.ts";

/** The owner's session row, or 404 (unknown and foreign sessions look the same). */
export async function findOwned(env: Env, id: string, ownerId: string): Promise<SessionRow> {
  const row = await findSessionRow(env.DB, id);
  if (!row || row.user_id !== ownerId) throw notFound("session");
  return row;
}

/** The full record of the owner's session. */
export async function describeOwned(env: Env, id: string, ownerId: string): Promise<Session> {
  await findOwned(env, id, ownerId);
  const record = await sessionStub(env, id).describe();
  if (!record) throw notFound("session");
  return record;
}

/** A page of the owner's stored events, or (without `limit`) all of them, streamed. */
export async function historyOwned(env: Env, id: string, ownerId: string, query: z.infer<typeof HistoryQuery>): Promise<Response> {
  await findOwned(env, id, ownerId);
  const stub = sessionStub(env, id);
  if (query.limit === undefined) return streamWholeHistory(query.after_seq, (after, limit) => stub.history(after, limit));
  return Response.json(await stub.history(query.after_seq, query.limit));
}

/** A page of the owner's sessions, newest first. */
export async function listOwned(
  env: Env,
  ownerId: string,
  query: z.infer<typeof SessionListQuery>,
): Promise<{ sessions: SessionSummary[]; next_cursor: string | null }> {
  const rows = await listSessionRows(env.DB, ownerId, {
    status: query.status,
    limit: query.limit + 1,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
  });
  const page = rows.slice(0, query.limit);
  return { sessions: page.map(toSummary), next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null };
}

function encodeCursor(row: SessionRow): string {
  return toBase64Url(new TextEncoder().encode(`${row.created_at}|${row.id}`));
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = new TextDecoder().decode(fromBase64(cursor)).split("|");
    if (createdAt && id && !Number.isNaN(Date.parse(createdAt))) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new ApiError(400, "invalid_request", "query: cursor is not one this API returned");
}
