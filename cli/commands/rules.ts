/**
 * `rules ...`, `events send`, `detections list`: an org's D&R rules from the command line (and
 * `rules sessions`, the sessions they started: from a detection to the agent that triaged it). They
 * act for one org: the token is that org's API key and `--org` (or AI_SESSIONS_ORG) its id.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { EventResult, RulesApi } from "../../sdk/index.ts";
import { expectPositionals, intOption, stringOption, UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import type { CommandContext } from "../context.ts";
import { readAll } from "../io.ts";
import { shortTime, table } from "../table.ts";

function rulesOf(ctx: CommandContext): RulesApi {
  if (!ctx.config.org) throw new UsageError("no org: pass --org <oid> or set AI_SESSIONS_ORG (and the org's API key as the token)");
  return ctx.client.rules(ctx.config.org);
}

/** A local file's text (`-`: stdin), or a usage error. */
async function readInput(ctx: CommandContext, file: string): Promise<string> {
  if (file === "-") return readAll(ctx.io.stdin);
  return readFile(file, "utf8").catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });
}

/** A rule file (YAML, or JSON which is YAML too) as data. */
function parseRule(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid YAML: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new UsageError(`${file} must hold one rule (a map with detect)`);
  return value as Record<string, unknown>;
}

/** Events from a file: a JSON list, `{events: [...]}`, one event, or NDJSON (returned as text). */
function parseEvents(text: string): unknown[] | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text; // NDJSON: the platform reads it line by line and answers bad lines itself
  }
  if (Array.isArray(value)) return value;
  const events = (value as { events?: unknown } | null)?.events;
  return Array.isArray(events) ? events : [value];
}

/** One event's answer as a line. */
function describeResult(r: EventResult, i: number): string {
  if (r.error) return `event ${i + 1}: error: ${r.error}`;
  const parts = [r.matched_rules.length ? `matched ${r.matched_rules.join(", ")}` : "no match"];
  if (r.detections.length) parts.push(`${r.detections.length} detection(s)`);
  for (const s of r.sessions) {
    if (s.id) parts.push(`session ${s.id} started (${s.rule})`);
    else parts.push(`session ${s.queued ? "queued" : "skipped"} (${s.rule}: ${s.reason}${s.session_id ? `, ${s.session_id}` : ""})`);
  }
  for (const f of r.failed_actions) parts.push(`${f.action} failed (${f.rule}): ${f.error}`);
  return `event ${i + 1}: ${parts.join(" · ")}`;
}

const push: Command = {
  path: ["rules", "push"],
  args: "<file.yaml> [--name NAME] [--enable | --disable]",
  summary: "Create or replace a rule from a YAML (or JSON) file; its tests run first. Named after the file unless --name.",
  options: { name: { type: "string" }, enable: { type: "boolean" }, disable: { type: "boolean" } },
  json: true,
  async run(ctx, { values, positionals }) {
    const [file] = expectPositionals(positionals, ["file.yaml"]);
    if (values.enable && values.disable) throw new UsageError("--enable and --disable exclude each other");
    const rule = parseRule(await readInput(ctx, file!), file!);
    const name = stringOption(values, "name") ?? path.basename(file!).replace(/\.(ya?ml|json)$/i, "");
    if (values.enable || values.disable) rule.enabled = Boolean(values.enable);
    const stored = await rulesOf(ctx).set(name, rule as Parameters<RulesApi["set"]>[1]);
    ctx.out.result(stored, () => `Rule ${stored.name} stored (version ${stored.version}, ${stored.enabled ? "enabled" : "disabled"}).`);
  },
};

const list: Command = {
  path: ["rules", "list"],
  summary: "List the org's rules.",
  json: true,
  async run(ctx, { positionals }) {
    expectPositionals(positionals, []);
    const rules = await rulesOf(ctx).list();
    ctx.out.result({ rules }, () => {
      if (rules.length === 0) return "No rules.";
      const rows = rules.map((r) => [r.name, r.enabled ? "enabled" : "disabled", String(r.version), shortTime(r.updated_at)]);
      return table(["NAME", "STATE", "VERSION", "UPDATED"], rows);
    });
  },
};

const get: Command = {
  path: ["rules", "get"],
  args: "<name>",
  summary: "Show a rule (as JSON).",
  json: true,
  async run(ctx, { positionals }) {
    const [name] = expectPositionals(positionals, ["name"]);
    const rule = await rulesOf(ctx).get(name!);
    ctx.out.result(rule, () => JSON.stringify(rule, null, 2));
  },
};

const remove: Command = {
  path: ["rules", "delete"],
  args: "<name>",
  summary: "Delete a rule.",
  json: true,
  async run(ctx, { positionals }) {
    const [name] = expectPositionals(positionals, ["name"]);
    const answer = await rulesOf(ctx).delete(name!);
    ctx.out.result(answer, () => `Rule ${name} deleted.`);
  },
};

const test: Command = {
  path: ["rules", "test"],
  args: "<rule.yaml | stored rule name> <events.json>",
  summary: "Replay events through a rule without side effects: what matched and the actions as they would run.",
  json: true,
  async run(ctx, { positionals }) {
    const [ruleArg, eventsFile] = expectPositionals(positionals, ["rule", "events.json"]);
    const api = rulesOf(ctx);
    const fromFile = existsSync(ruleArg!);
    const rule = fromFile ? parseRule(await readInput(ctx, ruleArg!), ruleArg!) : (await api.get(ruleArg!)).rule;
    const events = parseEvents(await readInput(ctx, eventsFile!));
    if (typeof events === "string") throw new UsageError(`${eventsFile} must be JSON: a list of events, {events: [...]}, or one event`);
    const name = fromFile ? path.basename(ruleArg!).replace(/\.(ya?ml|json)$/i, "") : ruleArg!;
    const results = await api.test(rule as Parameters<RulesApi["test"]>[0], events, { name });
    ctx.out.result({ results }, () =>
      results
        .map((r, i) => {
          if (r.error) return `event ${i + 1}: error: ${r.error}`;
          if (!r.matched) return `event ${i + 1}: no match`;
          return [`event ${i + 1}: matched`, ...r.actions.map((a) => `  ${JSON.stringify(a)}`)].join("\n");
        })
        .join("\n"),
    );
  },
};

const send: Command = {
  path: ["events", "send"],
  args: "<events.json | events.ndjson | ->",
  summary: "Post events to the org's enabled rules; prints per event what matched, detections and sessions.",
  json: true,
  async run(ctx, { positionals }) {
    const [file] = expectPositionals(positionals, ["events"]);
    const results = await rulesOf(ctx).sendEvents(parseEvents(await readInput(ctx, file!)));
    ctx.out.result({ results }, () => results.map(describeResult).join("\n") || "No events.");
  },
};

const detections: Command = {
  path: ["detections", "list"],
  args: "[--cat NAME] [--limit N]",
  summary: "List the org's reported detections, newest first.",
  options: { cat: { type: "string" }, limit: { type: "string" } },
  json: true,
  async run(ctx, { values, positionals }) {
    expectPositionals(positionals, []);
    const page = await rulesOf(ctx).detections({ cat: stringOption(values, "cat"), limit: intOption(values, "limit", 1) });
    ctx.out.result(page, () => {
      if (page.detections.length === 0) return "No detections.";
      const rows = page.detections.map((d) => [d.detect_id, d.cat, d.source_rule, shortTime(d.created_at)]);
      return table(["ID", "CAT", "RULE", "CREATED"], rows) + (page.next_cursor ? "\n(more)" : "");
    });
  },
};

const sessions: Command = {
  path: ["rules", "sessions"],
  args: "[--rule NAME] [--limit N]",
  summary: "List the sessions the org's rules started, newest first: rule, detection, state.",
  options: { rule: { type: "string" }, limit: { type: "string" } },
  json: true,
  async run(ctx, { values, positionals }) {
    expectPositionals(positionals, []);
    const started = await rulesOf(ctx).sessions({ rule: stringOption(values, "rule"), limit: intOption(values, "limit", 1) });
    ctx.out.result({ sessions: started }, () => {
      if (started.length === 0) return "No sessions started by rules.";
      const rows = started.map((s) => [
        s.session_id,
        s.rule,
        s.detection_id ?? "—",
        s.status === "ended" ? `ended (${s.end_reason ?? "?"})` : s.status,
        shortTime(s.created_at),
      ]);
      return table(["SESSION", "RULE", "DETECTION", "STATE", "STARTED"], rows);
    });
  },
};

export const ruleCommands: readonly Command[] = [push, list, get, remove, test, send, detections, sessions];
