/**
 * The `respond` list compiled once per rule version (DR.md §5): every template parsed, every
 * parameter checked, so a rule that saves cannot fail for a reason knowable at save time.
 * Served actions: `report` and `start ai agent` (alias `start ai session`, Q18) in inline
 * mode, `add var` and `del var`. Others are rejected by name, with the path of the offending key.
 */
import { z } from "zod";
import { SECRET_REFERENCE } from "../../schemas/org.ts";
import { ProfileSettingsFields } from "../../schemas/profile.ts";
import { childPath, RuleError } from "../detect/errors.ts";
import { isMap } from "../detect/params.ts";
import {
  type CompiledAgentPrompt,
  compileAgentPrompt,
  type CompiledTransformMap,
  compileTransformMap,
  parseTemplate,
  type Template,
} from "../template/index.ts";

/** The settings an inline `profile` may set: the platform's profile fields. */
const RuleProfile = z.object(ProfileSettingsFields).partial().strict();
export type RuleProfile = z.infer<typeof RuleProfile>;

export interface CompiledReport {
  readonly kind: "report";
  readonly path: string;
  readonly name: Template;
  readonly priority: number | undefined;
  readonly publish: boolean;
  readonly metadata: CompiledTransformMap | undefined;
  readonly detectData: CompiledTransformMap | undefined;
}

export interface CompiledAgent {
  readonly kind: "start ai agent";
  readonly path: string;
  readonly prompt: CompiledAgentPrompt;
  readonly name: Template | undefined;
  readonly idempotentKey: Template | undefined;
  readonly debounceKey: Template | undefined;
  readonly anthropicSecret: string;
  readonly lcApiKeySecret: string | undefined;
  readonly lcUidSecret: string | undefined;
  readonly profile: RuleProfile;
}

/** `add var` / `del var` (Q17/Q28): a sensor variable's value, rendered per event; `ttl` in seconds. */
export interface CompiledVar {
  readonly kind: "add var" | "del var";
  readonly path: string;
  readonly name: string;
  readonly value: Template | undefined;
  readonly ttl: number | undefined;
}

export type CompiledAction = CompiledReport | CompiledAgent | CompiledVar;

/** Actions of the product this platform does not run (yet): rejected so nobody relies on them silently. */
const NOT_SERVED = new Set([
  "task",
  "isolate network",
  "rejoin network",
  "add tag",
  "remove tag",
  "service request",
  "extension request",
  "output",
  "wait",
  "seal",
  "unseal",
  "undelete sensor",
  "delete sensor",
]);

const AGENT_KEYS = new Set([
  "action",
  "prompt",
  "anthropic_secret",
  "name",
  "lc_api_key_secret",
  "lc_uid_secret",
  "idempotent_key",
  "debounce_key",
  "data",
  "profile",
  "definition",
  "profile_name",
  "suppression",
]);
const VAR_KEYS = new Set(["action", "name", "value", "ttl", "suppression"]);
const REPORT_KEYS = new Set(["action", "name", "priority", "publish", "metadata", "detect_data", "suppression"]);

function template(a: Record<string, unknown>, key: string, path: string, required: boolean): Template | undefined {
  const v = a[key];
  if (v === undefined || v === null) {
    if (required) throw new RuleError(path, `missing parameter '${key}' for action '${String(a.action)}'`);
    return undefined;
  }
  if (typeof v !== "string") throw new RuleError(childPath(path, key), "must be a string");
  const parsed = parseTemplate(v);
  if (!parsed.ok) throw new RuleError(childPath(path, key), parsed.message);
  return parsed.template;
}

function secretRef(a: Record<string, unknown>, key: string, path: string, required: boolean): string | undefined {
  const v = a[key];
  if (v === undefined || v === null) {
    if (required) throw new RuleError(path, `missing parameter '${key}' for action '${String(a.action)}'`);
    return undefined;
  }
  if (typeof v !== "string" || v === "") throw new RuleError(childPath(path, key), "must be hive://secret/<name> or a literal value");
  return v;
}

/** `data/summary` (the template module's paths) → `respond[1].data.summary`. */
function templatePath(path: string, sub: string): string {
  return sub.split("/").reduce((p, k) => childPath(p, /^\d+$/.test(k) ? Number(k) : k), path);
}

function checkKeys(a: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const k of Object.keys(a))
    if (!allowed.has(k)) throw new RuleError(childPath(path, k), `unknown parameter '${k}' for action '${String(a.action)}'`);
  if (a.suppression !== undefined) throw new RuleError(childPath(path, "suppression"), "suppression is not supported yet");
}

function freeForm(a: Record<string, unknown>, key: string, path: string): CompiledTransformMap | undefined {
  const v = a[key];
  if (v === undefined || v === null) return undefined;
  if (!isMap(v)) throw new RuleError(childPath(path, key), "must be a map");
  // Free-form fields: templates are rendered, every other string is literal (no selectors).
  const c = compileTransformMap(v, key, { selectors: false });
  if (!c.ok) throw new RuleError(templatePath(path, c.path), c.message.slice(c.path.length + 2));
  return c.compiled;
}

function compileReport(a: Record<string, unknown>, path: string): CompiledReport {
  checkKeys(a, REPORT_KEYS, path);
  const priority = a.priority;
  if (priority !== undefined && priority !== null && (typeof priority !== "number" || !Number.isInteger(priority))) {
    throw new RuleError(childPath(path, "priority"), "must be an integer");
  }
  if (a.publish !== undefined && typeof a.publish !== "boolean") throw new RuleError(childPath(path, "publish"), "must be true or false");
  return {
    kind: "report",
    path,
    name: template(a, "name", path, true) as Template,
    priority: typeof priority === "number" ? priority : undefined,
    publish: a.publish !== false,
    metadata: freeForm(a, "metadata", path),
    detectData: freeForm(a, "detect_data", path),
  };
}

function compileAgent(a: Record<string, unknown>, path: string): CompiledAgent {
  checkKeys(a, AGENT_KEYS, path);
  if (a.definition !== undefined)
    throw new RuleError(
      childPath(path, "definition"),
      "definition mode (hive://ai_agent/...) is not supported yet",
      "unsupported_resource",
    );
  if (a.profile_name !== undefined)
    throw new RuleError(childPath(path, "profile_name"), "profile_name is not supported for D&R sessions; use an inline profile");
  if (typeof a.prompt !== "string" && a.prompt !== undefined && a.prompt !== null)
    throw new RuleError(childPath(path, "prompt"), "must be a string");
  if (a.prompt === undefined || a.prompt === null || a.prompt === "")
    throw new RuleError(path, `missing parameter 'prompt' for action '${String(a.action)}'`);
  if (a.data !== undefined && a.data !== null && !isMap(a.data)) throw new RuleError(childPath(path, "data"), "must be a map");
  const prompt = compileAgentPrompt({ prompt: a.prompt as string, data: (a.data ?? null) as Record<string, unknown> | null });
  if (!prompt.ok) throw new RuleError(templatePath(path, prompt.path), prompt.message.slice(prompt.path.length + 2));
  const anthropicSecret = secretRef(a, "anthropic_secret", path, true) as string;
  if (!SECRET_REFERENCE.test(anthropicSecret) && !anthropicSecret.startsWith("sk-ant-")) {
    throw new RuleError(childPath(path, "anthropic_secret"), "must be hive://secret/<name> or a key starting with sk-ant-");
  }
  const profile = RuleProfile.safeParse(a.profile ?? {});
  if (!profile.success) {
    const issue = profile.error.issues[0];
    const at = (issue?.path ?? []).reduce<string>(
      (p, k) => childPath(p, typeof k === "number" ? k : String(k)),
      childPath(path, "profile"),
    );
    throw new RuleError(at, issue?.message ?? "invalid profile");
  }
  return {
    kind: "start ai agent",
    path,
    prompt: prompt.compiled,
    name: template(a, "name", path, false),
    idempotentKey: template(a, "idempotent_key", path, false),
    debounceKey: template(a, "debounce_key", path, false),
    anthropicSecret,
    lcApiKeySecret: secretRef(a, "lc_api_key_secret", path, false),
    lcUidSecret: secretRef(a, "lc_uid_secret", path, false),
    profile: profile.data,
  };
}

function compileVar(a: Record<string, unknown>, path: string, kind: "add var" | "del var"): CompiledVar {
  checkKeys(a, VAR_KEYS, path);
  if (typeof a.name !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(a.name)) {
    throw new RuleError(
      a.name === undefined ? path : childPath(path, "name"),
      a.name === undefined
        ? `missing parameter 'name' for action '${kind}'`
        : "must be a variable name (letters, digits, '.', ':', '-', '_')",
    );
  }
  const ttl = a.ttl;
  if (ttl !== undefined && (kind === "del var" || typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > 365 * 86_400)) {
    throw new RuleError(
      childPath(path, "ttl"),
      kind === "del var" ? "del var takes no ttl" : "must be a number of seconds from 1 to 31536000",
    );
  }
  return {
    kind,
    path,
    name: a.name,
    value: template(a, "value", path, kind === "add var"),
    ttl: typeof ttl === "number" ? ttl : undefined,
  };
}

/** Compiles `respond` (absent: no actions, Q29). */
export function compileActions(raw: unknown, path = "respond"): CompiledAction[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new RuleError(path, "must be a list of actions");
  return raw.map((a, i) => {
    const at = childPath(path, i);
    if (!isMap(a)) throw new RuleError(at, "must be an action (a map with 'action')");
    if (typeof a.action !== "string")
      throw new RuleError(
        a.action === undefined ? at : childPath(at, "action"),
        a.action === undefined ? "missing parameter 'action'" : "must be a string",
      );
    if (a.action === "report") return compileReport(a, at);
    if (a.action === "start ai agent" || a.action === "start ai session") return compileAgent(a, at);
    if (a.action === "add var" || a.action === "del var") return compileVar(a, at, a.action);
    if (NOT_SERVED.has(a.action)) throw new RuleError(childPath(at, "action"), `action '${a.action}' is not supported by this platform`);
    throw new RuleError(childPath(at, "action"), `unknown action '${a.action}'`);
  });
}
