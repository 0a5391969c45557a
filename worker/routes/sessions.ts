/** Sessions over REST (docs/api.md §4): create, list, read, terminate, delete, history. */
import type { Hono } from "hono";
import {
  HistoryPage,
  HistoryQuery,
  MAX_LIVE_SESSIONS_PER_USER,
  SessionAnswer,
  SessionCreate,
  SessionCreated,
  SessionList,
  SessionListQuery,
  SessionRecordDeleted,
  SessionTerminated,
} from "../../schemas/session.ts";
import { deleteSessionRow } from "../../platform/db/sessions.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { ownedSession } from "../sessions/owners.ts";
import { describeOwned, historyOwned, listOwned } from "../sessions/session-views.ts";
import { refuseUnknownPlugins, sessionStub, startSession, withOverrides } from "../sessions/start-session.ts";
import { chosenProfile, requireClaudeCredential } from "../sessions/user-profile-choice.ts";

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
      refuseUnknownPlugins(body.plugins);
      await requireClaudeCredential(c, userId);
      const { profileId, settings: profileSettings } = await chosenProfile(c, userId, body.profile_id);
      const { session, reused } = await startSession(
        c,
        { ownerId: userId, orgId: null, keyId: null, liveLimit: MAX_LIVE_SESSIONS_PER_USER },
        {
          name: body.name ?? null,
          profileId,
          settings: withOverrides(profileSettings, body),
          initialPrompt: body.initial_prompt ?? null,
          idempotentKey: body.idempotent_key ?? null,
          taskBudgetTokens: body.task_budget_tokens ?? null,
          credential: async () => ({ kind: "user" }),
          unattended: false,
        },
      );
      return c.json({ session }, reused ? 200 : 201);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/sessions",
      summary: "List the caller's sessions, newest first.",
      tag: "sessions",
      auth: "registered",
      query: SessionListQuery,
      response: SessionList,
    },
    async (c, { query }) => c.json(await listOwned(c.env, c.var.user.id, query)),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/sessions/:id",
      summary: "The full session record.",
      tag: "sessions",
      auth: "registered",
      response: SessionAnswer,
    },
    async (c, { params }) => c.json({ session: await describeOwned(c.env, params.id!, c.var.user.id) }),
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/sessions/:id",
      summary: "Terminate the session (end_reason user_requested).",
      tag: "sessions",
      auth: "registered",
      response: SessionTerminated,
    },
    async (c, { params }) => {
      await ownedSession(c, params.id!);
      await sessionStub(c.env, params.id!).terminate("user_requested", "terminated by its owner");
      return c.json({ terminated: true as const });
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/sessions/:id/record",
      summary: "Delete an ended session's record, events and archive.",
      tag: "sessions",
      auth: "registered",
      response: SessionRecordDeleted,
      errors: ["session_not_ended"],
    },
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
    {
      method: "get",
      path: "/v1/sessions/:id/history",
      summary: "Stored events after after_seq: a page with limit, the whole history without it.",
      tag: "sessions",
      auth: "registered",
      query: HistoryQuery,
      response: HistoryPage,
    },
    async (c, { params, query }) => historyOwned(c.env, params.id!, c.var.user.id, query),
  );
}
