/**
 * The org session API (API.md §8): automation starts sessions with an org API key; they run
 * unattended (approvals time out as denials), are one-shot by default, and pay with an org
 * secret or a literal key. The org reads them over REST and a read-only WebSocket.
 */
import type { Hono } from "hono";
import { MAX_LIVE_SESSIONS_PER_ORG, OrgSessionCreate, OrgUsage, OrgUsageQuery, SECRET_REFERENCE } from "../../schemas/org.ts";
import { HistoryPage, HistoryQuery, Session, SessionCreated, SessionList, SessionListQuery, SessionTerminated } from "../../schemas/session.ts";
import { keyringFrom, seal } from "../../platform/crypto/sealed-box.ts";
import { DEFAULT_SETTINGS } from "../../platform/db/profiles.ts";
import { readOrgSecret } from "../../platform/db/org-secrets.ts";
import { sessionCredentialContext } from "../gateway/credential-source.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { orgUsage } from "../sessions/org-usage.ts";
import { describeOwned, findOwned, historyOwned, listOwned } from "../sessions/session-views.ts";
import { sessionStub, startSession, withOverrides } from "../sessions/start-session.ts";
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
      response: SessionCreated,
      errors: ["secret_not_found", "max_concurrent_sessions", "rate_limited"],
    },
    async (c, { body }) => {
      const orgId = c.var.org.id;
      const prompt = body.initial_prompt ?? body.prompt;
      if (!prompt) throw new ApiError(400, "invalid_request", "request body: an org session needs a prompt (prompt or initial_prompt)");
      if (body.plugins?.length) throw new ApiError(400, "unknown_plugin", `unknown plugin(s): ${body.plugins.join(", ")}`);
      const ring = await keyringFrom(c.env);
      const secretName = SECRET_REFERENCE.exec(body.anthropic_secret)?.[1];
      if (secretName) {
        if ((await readOrgSecret(c.env.DB, ring, orgId, secretName)) === null) throw new ApiError(400, "secret_not_found", `no org secret named ${secretName}`);
      } else if (!body.anthropic_secret.startsWith("sk-ant-")) {
        throw new ApiError(400, "invalid_request", "anthropic_secret must be hive://secret/<name> or a key starting with sk-ant-");
      }
      const { session, reused } = await startSession(
        c,
        { ownerId: orgOwner(orgId), orgId, keyId: c.var.org.keyId, liveLimit: MAX_LIVE_SESSIONS_PER_ORG },
        {
          name: body.name ?? null,
          profileId: null,
          // Rule-started sessions finish their task and end unless told otherwise.
          settings: withOverrides({ ...DEFAULT_SETTINGS, one_shot: true }, body),
          initialPrompt: prompt,
          idempotentKey: body.idempotent_key ?? null,
          credential: async (sessionId) =>
            secretName
              ? { kind: "org_secret", name: secretName }
              : { kind: "sealed", ciphertext: (await seal(ring, body.anthropic_secret, sessionCredentialContext(sessionId))).ciphertext },
          unattended: true,
        },
      );
      return c.json({ session }, reused ? 200 : 201);
    },
  );

  route(
    app,
    { method: "get", path: "/v1/org/usage", summary: "The org's runtime minutes, tokens and cost per session, per API key and in total.", tag: "org sessions", auth: "org", query: OrgUsageQuery, response: OrgUsage },
    async (c, { query }) => c.json(await orgUsage(c.env.DB, orgOwner(c.var.org.id), query.since ?? null, query.until ?? null)),
  );

  route(
    app,
    { method: "get", path: "/v1/org/sessions", summary: "List the org's sessions, newest first.", tag: "org sessions", auth: "org", query: SessionListQuery, response: SessionList },
    async (c, { query }) => c.json(await listOwned(c.env, orgOwner(c.var.org.id), query)),
  );

  route(
    app,
    { method: "get", path: "/v1/org/sessions/:id", summary: "An org session's record.", tag: "org sessions", auth: "org", response: Session },
    async (c, { params }) => c.json(await describeOwned(c.env, params.id!, orgOwner(c.var.org.id))),
  );

  route(
    app,
    { method: "get", path: "/v1/org/sessions/:id/history", summary: "An org session's stored events.", tag: "org sessions", auth: "org", query: HistoryQuery, response: HistoryPage },
    async (c, { params, query }) => c.json(await historyOwned(c.env, params.id!, orgOwner(c.var.org.id), query)),
  );

  route(
    app,
    { method: "delete", path: "/v1/org/sessions/:id", summary: "Terminate an org session (end_reason org_api_requested).", tag: "org sessions", auth: "org", response: SessionTerminated },
    async (c, { params }) => {
      await findOwned(c.env, params.id!, orgOwner(c.var.org.id));
      await sessionStub(c.env, params.id!).terminate("org_api_requested", "terminated through the org API");
      return c.json({ terminated: true as const });
    },
  );
}
