/**
 * The org session API (docs/api.md §8): automation starts sessions with an org API key; they run
 * unattended (approvals time out as denials), are one-shot by default, and pay with an org
 * secret or a literal key. The org reads them over REST and a read-only WebSocket.
 */
import type { Hono } from "hono";
import { IdentityUsage, OrgSessionCreate, OrgSessionCreated, OrgUsage, OrgUsageQuery, UsageIdentities } from "../../schemas/org.ts";
import { identityUsage, usageIdentities } from "../../platform/db/org-usage-hourly.ts";
import { HistoryPage, HistoryQuery, SessionAnswer, SessionList, SessionListQuery, SessionTerminated } from "../../schemas/session.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { orgUsage } from "../sessions/org-usage.ts";
import { describeOwned, findOwned, historyOwned, listOwned } from "../sessions/session-views.ts";
import { sessionStub } from "../sessions/start-session.ts";
import { startOrgSession } from "../sessions/org-session.ts";
import { orgOwner } from "../sessions/owners.ts";
import { ORG_HEADER } from "../auth/org-middleware.ts";

export function orgSessionRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/api/sessions",
      summary: `Start a session for the org of the API key (headers: Bearer key, ${ORG_HEADER}).`,
      tag: "org sessions",
      auth: "org",
      body: OrgSessionCreate,
      status: 201,
      response: OrgSessionCreated,
      errors: ["secret_not_found", "unknown_plugin", "max_concurrent_sessions", "rate_limited"],
    },
    async (c, { body }) => {
      const { session, reused } = await startOrgSession(c, c.var.org, body);
      // The product's client reads `session_id`, `status`, `created_at`; our own clients read `session`.
      return c.json({ session_id: session.id, status: session.status, created_at: session.created_at, session }, reused ? 200 : 201);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/org/usage",
      summary: "The org's runtime minutes, tokens and cost per session, per API key and in total.",
      tag: "org sessions",
      auth: "org",
      query: OrgUsageQuery,
      response: OrgUsage,
    },
    async (c, { query }) => c.json(await orgUsage(c.env.DB, orgOwner(c.var.org.id), query.since ?? null, query.until ?? null)),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/org/usage/identities",
      summary: "The identities with model usage in the org: org key names (or the owner of a session no key started).",
      tag: "org sessions",
      auth: "org",
      response: UsageIdentities,
    },
    async (c) => c.json({ identities: await usageIdentities(c.env.DB, c.var.org.id) }),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/org/usage/identities/:identity",
      // An identity is an org key's name, which may hold spaces and other characters.
      textParams: ["identity"],
      summary: "One identity's hourly model usage (requests, tokens, cost), oldest hour first; none is an empty list.",
      tag: "org sessions",
      auth: "org",
      query: OrgUsageQuery,
      response: IdentityUsage,
    },
    async (c, { params, query }) =>
      c.json({
        identity: params.identity!,
        usage: await identityUsage(c.env.DB, c.var.org.id, params.identity!, query.since ?? null, query.until ?? null),
      }),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/org/sessions",
      summary: "List the org's sessions, newest first.",
      tag: "org sessions",
      auth: "org",
      query: SessionListQuery,
      response: SessionList,
    },
    async (c, { query }) => c.json(await listOwned(c.env, orgOwner(c.var.org.id), query)),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/org/sessions/:id",
      summary: "An org session's record.",
      tag: "org sessions",
      auth: "org",
      response: SessionAnswer,
    },
    async (c, { params }) => c.json({ session: await describeOwned(c.env, params.id!, orgOwner(c.var.org.id)) }),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/org/sessions/:id/history",
      summary: "An org session's stored events.",
      tag: "org sessions",
      auth: "org",
      query: HistoryQuery,
      response: HistoryPage,
    },
    async (c, { params, query }) => historyOwned(c.env, params.id!, orgOwner(c.var.org.id), query),
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/org/sessions/:id",
      summary: "Terminate an org session (end_reason org_api_requested).",
      tag: "org sessions",
      auth: "org",
      response: SessionTerminated,
    },
    async (c, { params }) => {
      await findOwned(c.env, params.id!, orgOwner(c.var.org.id));
      await sessionStub(c.env, params.id!).terminate("org_api_requested", "terminated through the org API");
      return c.json({ terminated: true as const });
    },
  );
}
