/**
 * Starting the session of a rule's `start ai agent` action: the org session (the same code
 * path as `POST /v1/api/sessions`) and its record naming the rule, the detection and the
 * rendered keys. Used both while an event is ingested and, for a debounced start that waited
 * for its key, by the org rule state object when the live session ends; hence a start carries
 * everything it needs (the org, the platform's origin) rather than a request.
 */
import { Context } from "hono";
import type { RuleSessionStart } from "../../platform/contracts/org-rule-state.ts";
import { insertRuleSession } from "../../platform/db/detections.ts";
import type { Env } from "../../platform/env.ts";
import type { AppEnv } from "../http/app-env.ts";
import { startOrgSession } from "../sessions/org-session.ts";

/** Starts the session; returns its id. Throws ApiError when it cannot start (unknown secret, session cap). */
export async function launchRuleSession(env: Env, start: RuleSessionStart): Promise<string> {
  // The only request-derived input of a start is its origin (the runner's platform URL).
  const c = new Context<AppEnv>(new Request(start.origin), { env });
  const { session } = await startOrgSession(c, { ...start.org, expiresAt: null }, start.body);
  await insertRuleSession(env.DB, start.org.id, {
    sessionId: session.id,
    ruleName: start.rule,
    detectionId: start.detectionId,
    idempotentKey: start.idempotentKey,
    debounceKey: start.debounceKey,
    createdAt: new Date().toISOString(),
  });
  return session.id;
}
