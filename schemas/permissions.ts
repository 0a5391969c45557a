/**
 * The grammar of tool permission patterns (docs/api.md §6). The permission engine interprets
 * them; this module only says which strings are well-formed, so profiles with a typo are
 * rejected when saved instead of silently matching nothing.
 */
import { z } from "zod";

/**
 * A bare tool name: Claude Code's tools are PascalCase (`Read`, `Bash`, `WebFetch`, ...).
 * The set changes between Claude Code releases, so the shape is checked, not a fixed list;
 * lower-case typos such as `read` are still refused.
 */
const TOOL_NAME = /^[A-Z][A-Za-z0-9]{1,63}$/;

/** `Bash(<prefix>:*)`: a command prefix, matched per pipeline stage. */
const BASH_PREFIX = /^Bash\((?=[^\s)])[^()\n]{1,200}:\*\)$/;
/** `mcp__<server>` or `mcp__<server>__<tool>`. */
const MCP_PATTERN = /^mcp__[A-Za-z0-9_-]+?(__[A-Za-z0-9_.-]+)?$/;

/** True when `pattern` is a well-formed permission pattern. */
export function isPermissionPattern(pattern: string): boolean {
  return TOOL_NAME.test(pattern) || BASH_PREFIX.test(pattern) || MCP_PATTERN.test(pattern);
}

/** One permission pattern, validated against the grammar. */
export const PermissionPattern = z.string().max(300).refine(isPermissionPattern, {
  message: "not a permission pattern: use a tool name (e.g. Read), Bash(<prefix>:*), mcp__<server> or mcp__<server>__<tool>",
});

/** A list of permission patterns, bounded so a profile stays small. */
export const PermissionList = z.array(PermissionPattern).max(200);

/** How undecided tool calls are treated (docs/api.md §6). */
export const PermissionMode = z.enum(["acceptEdits", "plan", "bypassPermissions"]);
export type PermissionMode = z.infer<typeof PermissionMode>;
