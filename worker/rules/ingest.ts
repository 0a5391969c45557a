/**
 * Evaluating one event against an org's enabled rules and carrying out what matched:
 * `report` stores the detection and feeds it once to `target: detection` rules (their own
 * detections are stored, never fed back, DR.md Q9); `start ai agent` claims its keys in the
 * org's rule state object and starts an unattended org session through the same code path
 * as `POST /v1/api/sessions`; `add var` / `del var` change the sensor's variables there too.
 * A failing action is recorded and the others still run.
 */
import type { Context } from "hono";
import type { Detection, PlannedAction, PlannedAgent } from "../../rules/rule/index.ts";
import type { EvalContext } from "../../rules/detect/index.ts";
import { OrgSessionCreate } from "../../schemas/org.ts";
import type { EventResult } from "../../schemas/rules.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import type { RuleSessionStart } from "../../platform/contracts/org-rule-state.ts";
import { insertDetection } from "../../platform/db/detections.ts";
import { ApiError } from "../../platform/errors.ts";
import { describeIssues } from "../http/body.ts";
import type { AppEnv, AuthOrg } from "../http/app-env.ts";
import { sessionStub } from "../sessions/start-session.ts";
import type { OrgRuleSet, RuleEntry } from "./rule-set.ts";
import { launchRuleSession } from "./rule-session.ts";

type Outcome = EventResult["sessions"][number];

function orgState(c: Context<AppEnv>, org: AuthOrg) {
  return c.env.ORG_RULE_STATE.get(c.env.ORG_RULE_STATE.idFromName(org.id));
}

/** The sensor an event (or a detection) came from: `routing/sid`. */
function sensorOf(input: unknown): string | null {
  const routing = (input as { routing?: unknown } | null)?.routing;
  const sid = typeof routing === "object" && routing !== null ? (routing as Record<string, unknown>).sid : undefined;
  return typeof sid === "string" && sid !== "" ? sid : null;
}

/** The org session body a planned `start ai agent` action amounts to. */
function sessionBody(plan: PlannedAgent): ReturnType<typeof OrgSessionCreate.safeParse> {
  return OrgSessionCreate.safeParse({
    ...plan.profile,
    one_shot: plan.one_shot,
    prompt: plan.prompt,
    anthropic_secret: plan.anthropic_secret,
    ...(plan.name ? { name: plan.name.slice(0, 200) } : {}),
    ...(plan.idempotent_key ? { idempotent_key: plan.idempotent_key.slice(0, 256) } : {}),
  });
}

async function startAgent(c: Context<AppEnv>, org: AuthOrg, rule: string, plan: PlannedAgent, input: unknown): Promise<Outcome> {
  const body = sessionBody(plan);
  if (!body.success)
    return { rule, skipped: true, reason: "failed", message: `the rendered session is invalid: ${describeIssues(body.error)}` };
  const state = orgState(c, org);
  const start: RuleSessionStart = {
    org: { id: org.id, keyId: org.keyId },
    origin: new URL(c.req.url).origin,
    rule,
    body: body.data,
    detectionId: detectionOf(plan, input),
    idempotentKey: plan.idempotent_key,
    debounceKey: plan.debounce_key,
  };
  const request = { idempotentKey: plan.idempotent_key, debounceKey: plan.debounce_key, now: Date.now(), pending: start };
  let claim = await state.claim(request);
  if (claim.outcome === "busy" && claim.sessionId && plan.debounce_key) {
    // The key's session may have ended without the object hearing of it: then it no longer holds the key.
    const record = await sessionStub(c.env, claim.sessionId).describe();
    if (!record || record.status === "ended") {
      await state.releaseDebounce(plan.debounce_key, claim.sessionId);
      claim = await state.claim(request);
    }
  }
  if (claim.outcome === "duplicate")
    return { rule, skipped: true, reason: "idempotent_key", ...(claim.sessionId ? { session_id: claim.sessionId } : {}) };
  if (claim.outcome === "busy")
    return {
      rule,
      skipped: true,
      reason: "debounced",
      ...(claim.sessionId ? { session_id: claim.sessionId } : {}),
      queued: true,
      message: "kept as the key's pending start: it starts when the live session ends, unless a newer event replaces it",
    };
  try {
    const id = await launchRuleSession(c.env, start);
    await state.confirm(claim.token, id);
    return { rule, id };
  } catch (error) {
    await state.abandon(claim.token);
    if (error instanceof ApiError) return { rule, skipped: true, reason: "failed", message: `${error.code}: ${error.message}` };
    throw error;
  }
}

/** The detection a session triages: the one its rule reported, else the detection a detection-target rule fired on. */
function detectionOf(plan: PlannedAgent, input: unknown): string | null {
  if (plan.detection_reported) return plan.detection.detect_id;
  const fired = (input as { detect_id?: unknown } | null)?.detect_id;
  return typeof fired === "string" ? fired : null;
}

async function storeDetection(c: Context<AppEnv>, orgId: string, d: Detection): Promise<void> {
  await insertDetection(c.env.DB, orgId, {
    id: d.detect_id,
    cat: d.cat,
    sourceRule: d.source_rule,
    body: JSON.stringify(d),
    createdAt: new Date(d.gen_time).toISOString(),
  });
}

/** Carries out the actions of one matched rule, adding to `result`; returns the detections it reported. */
async function execute(
  c: Context<AppEnv>,
  org: AuthOrg,
  entry: RuleEntry,
  input: unknown,
  actions: PlannedAction[],
  result: EventResult,
): Promise<Detection[]> {
  const reported: Detection[] = [];
  for (const a of actions) {
    if ("failed" in a) {
      result.failed_actions.push({ rule: entry.name, action: a.action, error: a.error });
    } else if (a.action === "report") {
      await storeDetection(c, org.id, a.detection);
      result.detections.push(a.detection.detect_id);
      reported.push(a.detection);
    } else if (a.action === "start ai agent") {
      const outcome = await startAgent(c, org, entry.name, a, input);
      result.sessions.push(outcome);
      if (outcome.reason === "failed")
        result.failed_actions.push({ rule: entry.name, action: a.action, error: outcome.message ?? "failed" });
    } else {
      const sid = sensorOf(input);
      if (sid === null) {
        result.failed_actions.push({
          rule: entry.name,
          action: a.action,
          error: "the event has no routing/sid: variables belong to a sensor",
        });
        continue;
      }
      await orgState(c, org).changeVariables(
        sid,
        [{ op: a.action === "add var" ? "add" : "del", name: a.name, value: a.value, ttl: a.ttl }],
        Date.now(),
      );
    }
  }
  return reported;
}

/** Options of a rule run; every rule run here came from `candidates()` of the input's type. */
function runOptions(name: string) {
  return { ruleName: name, now: Date.now(), newId, selected: true };
}

/** Evaluates one event against the org's rules and carries out the matches. */
export async function ingestEvent(
  c: Context<AppEnv>,
  org: AuthOrg,
  rules: OrgRuleSet,
  base: EvalContext,
  input: { routing: Record<string, unknown>; event: unknown },
): Promise<EventResult> {
  const result: EventResult = { matched_rules: [], detections: [], sessions: [], failed_actions: [] };
  // Sensor variables are read once per event, only when a rule reads any ([[name]] values).
  const sid = sensorOf(input);
  const vars: Record<string, string[]> = rules.readsVariables && sid !== null ? await orgState(c, org).variables(sid, Date.now()) : {};
  const ctx: EvalContext = { ...base, variable: (name) => vars[name] };
  const fed: Detection[] = [];
  for (const entry of rules.edr.candidates(input.routing.event_type)) {
    const run = entry.rule.run(input, ctx, runOptions(entry.name));
    if (!run.matched) continue;
    result.matched_rules.push(entry.name);
    fed.push(...(await execute(c, org, entry, input, run.actions, result)));
  }
  // Each detection is fed once to detection-target rules; what they report is not fed again.
  for (const d of fed) {
    for (const entry of rules.detection.candidates(d.cat)) {
      const run = entry.rule.run(d, ctx, runOptions(entry.name));
      if (!run.matched) continue;
      result.matched_rules.push(entry.name);
      await execute(c, org, entry, d, run.actions, result);
    }
  }
  return result;
}
