/** Forking sessions over REST (docs/api.md §4): the preflight and the fork of a user's own dormant or ended session. */
import type { Hono } from "hono";
import { ForkPreflight, ForkPreflightQuery, ForkRequest } from "../../schemas/fork.ts";
import { SessionCreated } from "../../schemas/session.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { forkPreflight, forkSession } from "../sessions/fork-session.ts";

export function forkRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/v1/sessions/:id/fork-preflight",
      summary:
        "Whether the session can be forked with the chosen profile (default: the default profile), and which MCP servers that profile lacks.",
      tag: "sessions",
      auth: "registered",
      query: ForkPreflightQuery,
      response: ForkPreflight,
      errors: ["profile_not_found"],
    },
    async (c, { params, query }) => c.json(await forkPreflight(c, params.id!, query.profile_id)),
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/sessions/:id/fork",
      summary: "Fork a dormant or ended session into a new session with its workspace and conversation and the chosen profile's settings.",
      tag: "sessions",
      auth: "registered",
      body: ForkRequest,
      status: 201,
      response: SessionCreated,
      errors: [
        "session_not_forkable",
        "archive_gone",
        "missing_mcps_not_acknowledged",
        "no_credentials",
        "profile_not_found",
        "max_concurrent_sessions",
        "rate_limited",
      ],
    },
    async (c, { params, body }) => c.json({ session: await forkSession(c, params.id!, body) }, 201),
  );
}
