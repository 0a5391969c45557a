/**
 * The Hono application: every route module mounted on one app, with the single error shape.
 * Route modules declare their routes through `route()` (http/api.ts), which also feeds /openapi.
 */
import { Hono } from "hono";
import type { AppEnv } from "./http/app-env.ts";
import { withSecurityHeaders } from "./http/security-headers.ts";
import { ApiError } from "../platform/errors.ts";
import { identityConfigProblem } from "../platform/config.ts";
import { claudeCredentialRoutes } from "./routes/claude-credentials.ts";
import { fileRoutes } from "./routes/files.ts";
import { forkRoutes } from "./routes/forks.ts";
import { metaRoutes } from "./routes/meta.ts";
import { modelGatewayRoutes } from "./routes/model-gateway.ts";
import { orgSessionRoutes } from "./routes/org-sessions.ts";
import { orgRoutes } from "./routes/orgs.ts";
import { profileRoutes } from "./routes/profiles.ts";
import { registrationRoutes } from "./routes/registration.ts";
import { ruleRoutes } from "./routes/rules.ts";
import { eventRoutes } from "./routes/events.ts";
import { lookupRoutes } from "./routes/lookups.ts";
import { ruleSessionRoutes } from "./routes/rule-sessions.ts";
import { sessionSocketRoutes } from "./routes/session-sockets.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { wsTicketRoutes } from "./routes/ws-tickets.ts";

/** Builds the app; called once per isolate. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.body(), error.status, error.headers);
    // Unexpected: log the error (never request bodies, which may hold credentials) and
    // answer without internals.
    console.error(`unhandled error on ${c.req.method} ${new URL(c.req.url).pathname}:`, error instanceof Error ? error.stack : error);
    return c.json({ error: "internal_error", message: "internal error" }, 500);
  });

  // A deployment whose identity configuration is unsafe does not serve anything (not even
  // /healthz, so a rollout's health check fails): it answers a clear configuration error.
  app.use(async (c, next) => {
    const problem = identityConfigProblem(c.env);
    if (problem) throw new ApiError(503, "server_misconfigured", problem);
    await next();
  });

  app.notFound((c) => {
    // The UI's files go through here (wrangler.toml: run_worker_first), so each carries the CSP.
    if (c.env.ASSETS && (c.req.method === "GET" || c.req.method === "HEAD") && !c.req.path.startsWith("/v1/")) {
      return c.env.ASSETS.fetch(c.req.raw).then(withSecurityHeaders);
    }
    return c.json({ error: "not_found", message: `no route for ${c.req.method} ${c.req.path}` }, 404);
  });

  metaRoutes(app);
  registrationRoutes(app);
  claudeCredentialRoutes(app);
  profileRoutes(app);
  sessionRoutes(app);
  forkRoutes(app);
  sessionSocketRoutes(app);
  wsTicketRoutes(app);
  orgRoutes(app);
  orgSessionRoutes(app);
  ruleRoutes(app);
  eventRoutes(app);
  lookupRoutes(app);
  ruleSessionRoutes(app);
  fileRoutes(app);
  modelGatewayRoutes(app);
  return app;
}
