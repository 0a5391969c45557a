/** Sessions over REST (API.md §4): create, list, read, terminate, delete, history. */
import type { Context, Hono } from "hono";
import type { ProfileSettings } from "../../schemas/profile.ts";
import {
  HistoryPage,
  HistoryQuery,
  MAX_LIVE_SESSIONS_PER_USER,
  Session,
  SessionCreate,
  SessionCreated,
  SessionList,
  SessionListQuery,
  SessionRecordDeleted,
  SessionTerminated,
} from "../../schemas/session.ts";
import { fromBase64, newId, toBase64Url } from "../crypto/encoding.ts";
import { keyringFrom } from "../crypto/sealed-box.ts";
import { credentialInfo } from "../db/credentials.ts";
import { getDefaultProfile, getProfile } from "../db/profiles.ts";
import { deleteSessionRow, findLiveByIdempotentKey, findSessionRow, insertSessionRow, listSessionRows, toSummary, type SessionRow } from "../db/sessions.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { consumeRate, SESSION_CREATE_RATE } from "../quota.ts";

/** The session's Durable Object. */
export function sessionStub(env: AppEnv["Bindings"], id: string) {
  return env.SESSION.get(env.SESSION.idFromName(id));
}

/** The caller's session row, or 404 (unknown and foreign sessions look the same). */
export async function ownedSession(c: Context<AppEnv>, id: string): Promise<SessionRow> {
  const row = await findSessionRow(c.env.DB, id);
  if (!row || row.user_id !== c.var.user.id) throw notFound("session");
  return row;
}

/** Fields of the create body that override the profile's settings. */
const OVERRIDABLE = [
  "description",
  "allowed_tools",
  "denied_tools",
  "permission_mode",
  "model",
  "max_turns",
  "max_budget_usd",
  "one_shot",
  "ttl_seconds",
  "environment",
  "mcp_servers",
] as const satisfies (keyof ProfileSettings)[];

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

export function sessionRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/sessions",
      summary: "Create a session from a profile (default: the default profile) plus per-session overrides.",
      tag: "sessions",
      auth: "registered",
      body: SessionCreate,
      status: 201,
      response: SessionCreated,
      errors: ["no_credentials", "max_concurrent_sessions", "profile_not_found", "unknown_plugin", "rate_limited"],
    },
    async (c, { body }) => {
      const userId = c.var.user.id;
      if (body.plugins?.length) throw new ApiError(400, "unknown_plugin", `unknown plugin(s): ${body.plugins.join(", ")}`);
      if (body.idempotent_key) {
        const existing = await findLiveByIdempotentKey(c.env.DB, userId, body.idempotent_key);
        const record = existing ? await sessionStub(c.env, existing.id).describe() : null;
        if (record && record.status !== "ended") return c.json({ session: record }, 200);
      }
      if (!(await credentialInfo(c.env.DB, userId))) {
        throw new ApiError(403, "no_credentials", "store a Claude credential first: POST /v1/auth/claude/apikey or the OAuth flow");
      }
      const ring = await keyringFrom(c.env);
      const profile = body.profile_id ? await getProfile(c.env.DB, ring, userId, body.profile_id) : await getDefaultProfile(c.env.DB, ring, userId);
      if (!profile) throw new ApiError(400, "profile_not_found", body.profile_id ? "no such profile" : "you have no default profile");
      const { id: profileId, name: _name, is_default: _d, created_at: _c, updated_at: _u, ...profileSettings } = profile;
      const settings: ProfileSettings = { ...profileSettings };
      for (const field of OVERRIDABLE) {
        if (body[field] !== undefined) (settings as Record<string, unknown>)[field] = body[field];
      }

      const id = newId();
      const quota = c.env.USER_QUOTA.get(c.env.USER_QUOTA.idFromName(userId));
      // The live-session cap is checked first, so the 11th live session is a 409 whatever the
      // rate; only creations that got a slot count against the rate limit.
      if (!(await quota.claimSessionSlot(id, MAX_LIVE_SESSIONS_PER_USER))) {
        throw new ApiError(409, "max_concurrent_sessions", `at most ${MAX_LIVE_SESSIONS_PER_USER} live sessions; terminate one first`);
      }
      try {
        await consumeRate(c.env, userId, SESSION_CREATE_RATE);
        const createdAt = new Date().toISOString();
        await insertSessionRow(c.env.DB, { id, user_id: userId, name: body.name ?? null, profile_id: profileId, idempotent_key: body.idempotent_key ?? null, created_at: createdAt });
        const session = await sessionStub(c.env, id).create({
          id,
          userId,
          name: body.name ?? null,
          profileId,
          settings,
          initialPrompt: body.initial_prompt ?? null,
          idempotentKey: body.idempotent_key ?? null,
          platformUrl: (c.env.PLATFORM_URL ?? new URL(c.req.url).origin).replace(/\/$/, ""),
          unattended: false,
        });
        return c.json({ session }, 201);
      } catch (error) {
        await quota.releaseSessionSlot(id);
        await deleteSessionRow(c.env.DB, id);
        throw error;
      }
    },
  );

  route(
    app,
    { method: "get", path: "/v1/sessions", summary: "List the caller's sessions, newest first.", tag: "sessions", auth: "registered", query: SessionListQuery, response: SessionList },
    async (c, { query }) => {
      const rows = await listSessionRows(c.env.DB, c.var.user.id, {
        status: query.status,
        limit: query.limit + 1,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
      });
      const page = rows.slice(0, query.limit);
      return c.json({ sessions: page.map(toSummary), next_cursor: rows.length > query.limit ? encodeCursor(page[page.length - 1]!) : null });
    },
  );

  route(
    app,
    { method: "get", path: "/v1/sessions/:id", summary: "The full session record.", tag: "sessions", auth: "registered", response: Session },
    async (c, { params }) => {
      await ownedSession(c, params.id!);
      const record = await sessionStub(c.env, params.id!).describe();
      if (!record) throw notFound("session");
      return c.json(record);
    },
  );

  route(
    app,
    { method: "delete", path: "/v1/sessions/:id", summary: "Terminate the session (end_reason user_requested).", tag: "sessions", auth: "registered", response: SessionTerminated },
    async (c, { params }) => {
      await ownedSession(c, params.id!);
      await sessionStub(c.env, params.id!).terminate("user_requested", "terminated by its owner");
      return c.json({ terminated: true as const });
    },
  );

  route(
    app,
    { method: "delete", path: "/v1/sessions/:id/record", summary: "Delete an ended session's record, events and archive.", tag: "sessions", auth: "registered", response: SessionRecordDeleted, errors: ["session_not_ended"] },
    async (c, { params }) => {
      const row = await ownedSession(c, params.id!);
      if (row.status !== "ended") throw new ApiError(409, "session_not_ended", "terminate the session before deleting its record");
      await sessionStub(c.env, params.id!).deleteRecord();
      await deleteSessionRow(c.env.DB, params.id!);
      return c.json({ deleted: true as const });
    },
  );

  route(
    app,
    { method: "get", path: "/v1/sessions/:id/history", summary: "Stored events after after_seq (paged).", tag: "sessions", auth: "registered", query: HistoryQuery, response: HistoryPage },
    async (c, { params, query }) => {
      await ownedSession(c, params.id!);
      return c.json(await sessionStub(c.env, params.id!).history(query.after_seq, query.limit));
    },
  );
}
