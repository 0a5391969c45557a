/**
 * Permission patterns (docs/api.md §6) and what they match: a bare tool name (exact,
 * case-sensitive; `Bash` matches every command), `Bash(<prefix>:*)`, `mcp__<server>` (every tool
 * of that server) and `mcp__<server>__<tool>` (exact). The grammar is the one profiles are
 * validated against when saved (schemas/permissions.ts); a string outside it matches nothing.
 *
 * Allow and deny read a command line differently (see bash-command.ts): an allow list must
 * cover every top-level stage, each by some pattern; a deny pattern fires on any stage,
 * nested ones included.
 */
import { WORKSPACE_ROOT } from "../../../schemas/files.ts";
import { isPermissionPattern } from "../../../schemas/permissions.ts";
import { analyseBash, type BashAnalysis } from "./bash-command.ts";
import { lexCommand, UNKNOWN_TEXT } from "./shell-lexer.ts";
import type { ToolCall } from "./types.ts";

/** A permission pattern, parsed. */
export type Pattern =
  | { kind: "tool"; text: string; name: string }
  | { kind: "mcp-server"; text: string; server: string }
  | { kind: "bash-prefix"; text: string; prefix: readonly string[] };

/** Whether, and by which patterns, an allow list covers a call. */
export type Coverage = { covered: true; by: string[] } | { covered: false; why: string };

const BASH = "Bash";
const MCP_PREFIX = "mcp__";

/** Parses a pattern; null when it is not well-formed (and so matches nothing). */
export function parsePattern(text: string): Pattern | null {
  if (!isPermissionPattern(text)) return null;
  if (text.startsWith(`${BASH}(`)) {
    const prefix = prefixWords(text.slice(BASH.length + 1, -":*)".length));
    return prefix === null ? null : { kind: "bash-prefix", text, prefix };
  }
  if (text.startsWith(MCP_PREFIX) && !text.slice(MCP_PREFIX.length).includes("__")) {
    return { kind: "mcp-server", text, server: text.slice(MCP_PREFIX.length) };
  }
  return { kind: "tool", text, name: text }; // `mcp__<server>__<tool>` is an exact name too
}

/** True when `pattern` alone allows `call` (for a command line: covers every top-level stage). */
export function matchesPattern(pattern: string, call: ToolCall, workspace: string = WORKSPACE_ROOT): boolean {
  return allowCoverage([pattern], call, workspace).covered;
}

/**
 * Whether `allowed` covers `call`: one whole-tool pattern, or a prefix for every stage.
 * `workspace` is where a covered command's redirections may write.
 */
export function allowCoverage(allowed: readonly string[], call: ToolCall, workspace: string = WORKSPACE_ROOT): Coverage {
  const patterns = parseAll(allowed);
  const whole = patterns.find((pattern) => matchesWholeTool(pattern, call.toolName));
  if (whole !== undefined) return { covered: true, by: [whole.text] };
  const prefixes = patterns.filter((pattern) => pattern.kind === "bash-prefix");
  if (call.toolName !== BASH || prefixes.length === 0) {
    return { covered: false, why: `no allowed pattern matches ${call.toolName}` };
  }
  const bash = bashAnalysisOf(call, workspace);
  if (bash === null) return { covered: false, why: "the command is not a string" };
  // A command line that runs nothing is not "covered" by default: there is nothing to vouch for.
  if (bash.stages.length === 0) return { covered: false, why: "the command runs nothing" };
  const by = new Set<string>();
  for (const stage of bash.stages) {
    if (stage.uncoverable !== null) return { covered: false, why: `${describe(stage.words)} ${stage.uncoverable}` };
    const pattern = prefixes.find((candidate) => startsWithWords(stage.words, candidate.prefix));
    if (pattern === undefined) return { covered: false, why: `no allowed prefix covers ${describe(stage.words)}` };
    by.add(pattern.text);
  }
  return { covered: true, by: [...by] };
}

/** The first pattern of `denied` that matches `call`, or null. */
export function denyingPattern(denied: readonly string[], call: ToolCall): string | null {
  let bash: BashAnalysis | null | undefined; // analysed once, and only when a prefix needs it
  for (const pattern of parseAll(denied)) {
    if (matchesWholeTool(pattern, call.toolName)) return pattern.text;
    if (pattern.kind !== "bash-prefix" || call.toolName !== BASH) continue;
    bash ??= bashAnalysisOf(call, WORKSPACE_ROOT); // deny forms do not depend on the workspace
    // A command that cannot be read cannot be shown to be outside the deny list.
    if (bash === null || bash.denyForms === null) return pattern.text;
    if (bash.denyForms.some((form) => startsWithWords(form, pattern.prefix))) return pattern.text;
  }
  return null;
}

/** The MCP server of an `mcp__<server>__<tool>` name, split as Claude Code splits it. */
export function mcpServerOf(toolName: string): string | null {
  if (!toolName.startsWith(MCP_PREFIX)) return null;
  const parts = toolName.split("__");
  return parts.length >= 3 && parts[1] !== "" ? parts[1]! : null;
}

/** The `Bash` call's command line, analysed; null when `input.command` is not a string. */
export function bashAnalysisOf(call: ToolCall, workspace: string): BashAnalysis | null {
  const command = call.input["command"];
  return typeof command === "string" ? analyseBash(command, workspace) : null;
}

/** A stage for a reason text: short, whatever the command line's length. */
function describe(words: readonly string[]): string {
  if (words.length === 0) return "a stage";
  const text = words.slice(0, 8).join(" ").replaceAll(UNKNOWN_TEXT, "$(…)");
  return `\`${text.length > 60 ? `${text.slice(0, 60)}…` : text}${words.length > 8 ? " …" : ""}\``;
}

function parseAll(patterns: readonly string[]): Pattern[] {
  return patterns.map(parsePattern).filter((pattern) => pattern !== null);
}

/** Patterns that match a call by its tool name alone, whatever its input. */
function matchesWholeTool(pattern: Pattern, toolName: string): boolean {
  if (pattern.kind === "tool") return pattern.name === toolName;
  if (pattern.kind === "mcp-server") return mcpServerOf(toolName) === pattern.server;
  return false;
}

/**
 * A prefix's words, lexed like a command so quoting and spacing do not matter
 * (`Bash(git commit -m "wip":*)`); null when it is not one plain simple command.
 */
function prefixWords(prefix: string): string[] | null {
  const stages = lexCommand(prefix);
  const only = stages[0];
  if (stages.length !== 1 || only === undefined || only.opaque || only.redirections > 0 || only.words.length === 0) return null;
  return only.words.map((word) => word.text);
}

/**
 * "The stage equals the prefix or starts with prefix + ' '", compared word by word after quote
 * removal, so `'rm'  -rf` is `rm -rf` and `lsof` is not `ls`.
 */
function startsWithWords(words: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= words.length && prefix.every((word, i) => words[i] === word);
}
