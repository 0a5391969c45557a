/**
 * What a matched rule's actions would do, rendered (DR.md §5, §8 replay): `report` builds the
 * detection (Q7/Q8 shape), `start ai agent` renders its name, prompt with the `data` block,
 * and keys, seeing as `.detect` the detection of the first earlier `report` or one built with
 * the rule's name (Q25). A template failing at render time fails only its action (Q26).
 * Pure: ids and the clock come from the caller; nothing here stores or starts anything.
 */
import { isMap } from "../detect/params.ts";
import { type RenderOptions, renderAgentPrompt, renderTemplate, renderTransformMap, type Template } from "../template/index.ts";
import type { CompiledAction, CompiledAgent, CompiledReport, CompiledVar, RuleProfile } from "./actions.ts";

/** A detection as stored, fed to `target: detection` rules and seen by templates as `.detect`. */
export interface Detection {
  cat: string;
  detect: { event: unknown; routing: unknown };
  routing: unknown;
  detect_id: string;
  priority: number | null;
  detect_mtd: Record<string, unknown> | null;
  detect_data: Record<string, unknown> | null;
  source_rule: string;
  gen_time: number;
  publish: boolean;
}

export interface PlannedReport {
  action: "report";
  name: string;
  priority?: number;
  metadata?: Record<string, unknown>;
  detect_data?: Record<string, unknown>;
  publish: boolean;
  detection: Detection;
}

export interface PlannedAgent {
  action: "start ai agent";
  name: string | null;
  prompt: string;
  idempotent_key: string | null;
  debounce_key: string | null;
  profile: RuleProfile;
  one_shot: boolean;
  data: Record<string, unknown> | null;
  anthropic_secret: string;
  /** The detection `.detect` was (the id the session's record names). */
  detection: Detection;
  /** Whether that detection was reported (false: built only for the templates, Q25). */
  detection_reported: boolean;
}

/** A sensor variable change (the caller applies it to the sensor of `routing/sid`). */
export interface PlannedVar {
  action: "add var" | "del var";
  name: string;
  /** null: every value of the variable (del var without value). */
  value: string | null;
  ttl: number | null;
}

export interface FailedAction {
  action: "report" | "start ai agent" | "add var" | "del var";
  failed: true;
  error: string;
}

export type PlannedAction = PlannedReport | PlannedAgent | PlannedVar | FailedAction;

export interface RunOptions {
  ruleName: string;
  now: number;
  newId: () => string;
  render?: RenderOptions;
  /** The rule was selected for the input's type by its root's `event`/`events` (see CompiledDetection.evaluate). */
  selected?: boolean;
}

/** `.event` and `.routing` of an input: the event's own, or for a detection its source event's. */
export function eventParts(input: unknown, target: "edr" | "detection"): { event: unknown; routing: unknown } {
  if (!isMap(input)) return { event: undefined, routing: undefined };
  if (target === "detection") return { event: isMap(input.detect) ? input.detect.event : undefined, routing: input.routing };
  return { event: input.event, routing: input.routing };
}

function render(t: Template, data: unknown, o: RunOptions): { ok: true; text: string } | { ok: false; message: string } {
  return renderTemplate(t, data, o.render);
}

function newDetection(cat: string, parts: { event: unknown; routing: unknown }, o: RunOptions): Detection {
  return {
    cat,
    detect: { event: parts.event, routing: parts.routing },
    routing: parts.routing,
    detect_id: o.newId(),
    priority: null,
    detect_mtd: null,
    detect_data: null,
    source_rule: o.ruleName,
    gen_time: o.now,
    publish: true,
  };
}

function runReport(
  a: CompiledReport,
  parts: { event: unknown; routing: unknown },
  mtd: Record<string, unknown>,
  o: RunOptions,
): PlannedReport | FailedAction {
  const base = { ...parts, detect: { ...parts }, mtd };
  const name = render(a.name, base, o);
  if (!name.ok) return { action: "report", failed: true, error: `${a.path}.name: ${name.message}` };
  const withCat = { ...base, cat: name.text };
  const fields: { metadata?: Record<string, unknown>; detect_data?: Record<string, unknown> } = {};
  for (const [key, map] of [
    ["metadata", a.metadata],
    ["detect_data", a.detectData],
  ] as const) {
    if (!map) continue;
    const r = renderTransformMap(map, withCat, o.render);
    if (!r.ok) return { action: "report", failed: true, error: `${a.path}.${r.message.replaceAll("/", ".")}` };
    fields[key] = r.value;
  }
  const detection = newDetection(name.text, parts, o);
  detection.priority = a.priority ?? null;
  detection.detect_mtd = fields.metadata ?? null;
  detection.detect_data = fields.detect_data ?? null;
  detection.publish = a.publish;
  return {
    action: "report",
    name: name.text,
    ...(a.priority !== undefined ? { priority: a.priority } : {}),
    ...fields,
    publish: a.publish,
    detection,
  };
}

function optional(
  t: Template | undefined,
  data: unknown,
  o: RunOptions,
  what: string,
  path: string,
): { ok: true; text: string | null } | FailedAction {
  if (!t) return { ok: true, text: null };
  const r = render(t, data, o);
  if (!r.ok) return { action: "start ai agent", failed: true, error: `${path}.${what}: ${r.message}` };
  return { ok: true, text: r.text === "" ? null : r.text };
}

function runAgent(
  a: CompiledAgent,
  parts: { event: unknown; routing: unknown },
  mtd: Record<string, unknown>,
  detection: Detection,
  reported: boolean,
  o: RunOptions,
): PlannedAgent | FailedAction {
  const data = { ...parts, detect: detection, mtd };
  const prompt = renderAgentPrompt(a.prompt, data, o.render);
  if (!prompt.ok) return { action: "start ai agent", failed: true, error: `${a.path}.${prompt.message.replaceAll("/", ".")}` };
  const name = optional(a.name, data, o, "name", a.path);
  if (!("ok" in name)) return name;
  const idem = optional(a.idempotentKey, data, o, "idempotent_key", a.path);
  if (!("ok" in idem)) return idem;
  const debounce = optional(a.debounceKey, data, o, "debounce_key", a.path);
  if (!("ok" in debounce)) return debounce;
  const profile: RuleProfile = { ...a.profile };
  // The LC credentials reach the session as environment variables (secret references resolved at start).
  if (a.lcApiKeySecret || a.lcUidSecret) {
    profile.environment = {
      ...(profile.environment ?? {}),
      ...(a.lcApiKeySecret ? { LC_API_KEY: a.lcApiKeySecret } : {}),
      ...(a.lcUidSecret ? { LC_UID: a.lcUidSecret } : {}),
    };
  }
  return {
    action: "start ai agent",
    name: name.text,
    prompt: prompt.prompt,
    idempotent_key: idem.text,
    debounce_key: debounce.text,
    profile,
    one_shot: a.profile.one_shot ?? true,
    data: prompt.data,
    anthropic_secret: a.anthropicSecret,
    detection,
    detection_reported: reported,
  };
}

function runVar(
  a: CompiledVar,
  parts: { event: unknown; routing: unknown },
  mtd: Record<string, unknown>,
  o: RunOptions,
): PlannedVar | FailedAction {
  if (!a.value) return { action: a.kind, name: a.name, value: null, ttl: null };
  const r = render(a.value, { ...parts, detect: { ...parts }, mtd }, o);
  if (!r.ok) return { action: a.kind, failed: true, error: `${a.path}.value: ${r.message}` };
  return { action: a.kind, name: a.name, value: r.text, ttl: a.ttl ?? null };
}

/** Renders the actions of a rule that matched `input` (with the lookup metadata it collected). */
export function planActions(
  actions: readonly CompiledAction[],
  input: unknown,
  target: "edr" | "detection",
  mtd: Record<string, unknown>,
  o: RunOptions,
): PlannedAction[] {
  const parts = eventParts(input, target);
  let first: Detection | undefined;
  let fallback: Detection | undefined;
  const out: PlannedAction[] = [];
  for (const a of actions) {
    if (a.kind === "add var" || a.kind === "del var") {
      out.push(runVar(a, parts, mtd, o));
    } else if (a.kind === "report") {
      const r = runReport(a, parts, mtd, o);
      if (!("failed" in r) && !first) first = r.detection;
      out.push(r);
    } else if (a.kind === "start ai agent") {
      fallback ??= first ? undefined : newDetection(o.ruleName, parts, o);
      out.push(runAgent(a, parts, mtd, first ?? (fallback as Detection), first !== undefined, o));
    }
  }
  return out;
}
