/**
 * An org's detection & response rules (DR.md §8): create/replace (JSON or YAML; validated
 * completely and its `tests` run before it is stored), read, list, delete, and replay a rule
 * against events with no side effects.
 */
import type { Hono } from "hono";
import { compileRule, parseRuleText, parseYamlText } from "../../rules/rule/index.ts";
import {
  MAX_EVENTS_BODY_BYTES,
  MAX_RULE_BYTES,
  MAX_RULES_PER_ORG,
  RuleDeleted,
  RuleInfo,
  RuleList,
  RuleName,
  RulePut,
  RuleTestRequest,
  RuleTestResult,
} from "../../schemas/rules.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { countRules, deleteRule, getRule, listRules, putRule } from "../../platform/db/rules.ts";
import { ApiError, notFound } from "../../platform/errors.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { readBodyText } from "../http/body.ts";
import { eventItem } from "../rules/event-body.ts";
import { actionView, ruleInfo } from "../rules/rule-views.ts";
import { evalContext } from "../rules/eval-context.ts";

function ruleName(raw: string): string {
  if (!RuleName.safeParse(raw).success) throw notFound("rule");
  return raw;
}

function invalid(message: string, code = "invalid_rule"): ApiError {
  return new ApiError(400, code, message);
}

export function ruleRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "put",
      path: "/v1/orgs/:oid/rules/:name",
      summary:
        "Create or replace a rule (JSON, or YAML with Content-Type application/yaml); its tests run first. New rules are disabled unless enabled: true.",
      tag: "rules",
      auth: "org",
      body: RulePut,
      rawBody: true,
      response: RuleInfo,
      errors: ["invalid_rule", "unsupported_resource", "rule_limit"],
    },
    async (c, { params }) => {
      const name = ruleName(params.name!);
      const text = await readBodyText(c.req.raw, MAX_RULE_BYTES);
      const parsed = parseRuleText(text, c.req.header("content-type"));
      if (!parsed.ok) throw invalid(`rule: ${parsed.message}`);
      // Compiled once to learn the lookups it names, then again with its tests run against them.
      const untested = compileRule(parsed.value);
      if (!untested.ok) throw invalid(untested.message, untested.code);
      const testContext = await evalContext(c.env.DB, c.var.org.id, untested.rule.detection.lookups);
      const compiled = compileRule(parsed.value, { runTests: true, testContext });
      if (!compiled.ok) throw invalid(compiled.message, compiled.code);
      const { enabled, ...rule } = parsed.value as Record<string, unknown>;
      if (!(await getRule(c.env.DB, c.var.org.id, name)) && (await countRules(c.env.DB, c.var.org.id)) >= MAX_RULES_PER_ORG) {
        throw new ApiError(409, "rule_limit", `at most ${MAX_RULES_PER_ORG} rules per org`);
      }
      const row = await putRule(
        c.env.DB,
        c.var.org.id,
        name,
        JSON.stringify(rule),
        enabled as boolean | undefined,
        new Date().toISOString(),
      );
      return c.json(ruleInfo(row));
    },
  );

  route(
    app,
    { method: "get", path: "/v1/orgs/:oid/rules", summary: "List the org's rules.", tag: "rules", auth: "org", response: RuleList },
    async (c) => c.json({ rules: (await listRules(c.env.DB, c.var.org.id)).map(ruleInfo) }),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/orgs/:oid/rules/:name",
      summary: "Read one rule (with enabled, version, updated_at).",
      tag: "rules",
      auth: "org",
      response: RuleInfo,
    },
    async (c, { params }) => {
      const row = await getRule(c.env.DB, c.var.org.id, ruleName(params.name!));
      if (!row) throw notFound("rule");
      return c.json(ruleInfo(row));
    },
  );

  route(
    app,
    { method: "delete", path: "/v1/orgs/:oid/rules/:name", summary: "Delete a rule.", tag: "rules", auth: "org", response: RuleDeleted },
    async (c, { params }) => {
      if (!(await deleteRule(c.env.DB, c.var.org.id, ruleName(params.name!)))) throw notFound("rule");
      return c.json({ deleted: true as const });
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/orgs/:oid/rules/test",
      summary: "Evaluate a rule against events without side effects; each matched event's actions rendered exactly as they would run.",
      tag: "rules",
      auth: "org",
      body: RuleTestRequest,
      maxBodyBytes: MAX_EVENTS_BODY_BYTES,
      response: RuleTestResult,
      errors: ["invalid_rule", "unsupported_resource"],
    },
    async (c, { body }) => {
      let value: unknown = body.rule;
      if (typeof body.rule === "string") {
        // YAML text (JSON text is YAML too).
        const parsed = parseYamlText(body.rule);
        if (!parsed.ok) throw invalid(`rule: ${parsed.message}`);
        value = parsed.value;
      }
      const compiled = compileRule(value);
      if (!compiled.ok) throw invalid(compiled.message, compiled.code);
      const ruleName = body.name ?? "test";
      const ctx = await evalContext(c.env.DB, c.var.org.id, compiled.rule.detection.lookups);
      const now = ctx.now;
      const results = body.events.map((raw) => {
        const item = eventItem(raw);
        if (!item.ok) return { matched: false, actions: [], error: item.error };
        // Ids are minted so templates see one, but nothing is stored or started.
        const run = compiled.rule.run(item.input, ctx, { ruleName, now, newId });
        return { matched: run.matched, actions: run.actions.map(actionView) };
      });
      return c.json({ results });
    },
  );
}
