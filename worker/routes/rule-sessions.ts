/**
 * The sessions an org's rules started (DR.md §8: "their record names the rule, the detection
 * and the rendered keys"), newest first, each with its session's state now: what the web UI's
 * org view and a SOC's tooling read to go from a detection to the agent that triaged it.
 */
import type { Hono } from "hono";
import { RuleSessionList, RuleSessionsQuery } from "../../schemas/rules.ts";
import { listRuleSessions } from "../../platform/db/detections.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";

export function ruleSessionRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/v1/orgs/:oid/rule-sessions",
      summary: "Sessions the org's rules started, newest first, with the rule, the detection, the rendered keys and the session's state.",
      tag: "rules",
      auth: "org",
      query: RuleSessionsQuery,
      response: RuleSessionList,
    },
    async (c, { query }) => {
      const rows = await listRuleSessions(c.env.DB, c.var.org.id, {
        rule: query.rule,
        detectionId: query.detection_id,
        limit: query.limit ?? 50,
      });
      return c.json({
        sessions: rows.map((r) => ({
          session_id: r.session_id,
          rule: r.rule_name,
          detection_id: r.detection_id,
          idempotent_key: r.idempotent_key,
          debounce_key: r.debounce_key,
          created_at: r.created_at,
          name: r.name,
          status: r.status,
          end_reason: r.end_reason,
        })),
      });
    },
  );
}
