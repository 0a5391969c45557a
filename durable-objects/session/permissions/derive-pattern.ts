/**
 * The pattern an "approve for this session" answer adds when the user gave none (API.md §6):
 * `Bash(<command>:*)` for a command line, the tool's own name otherwise.
 */
import { isPermissionPattern } from "../../../schemas/permissions.ts";
import { bashAnalysisOf } from "./patterns.ts";
import type { ToolCall } from "./types.ts";

/** Command words plain enough to become a prefix (no expansions, globs or quotes to misread). */
const PLAIN_COMMAND = /^[\w./@%+,:~-]+$/;

/**
 * `Bash(<first word of the first stage, wrappers stripped>:*)` for `Bash`, the full name
 * otherwise (`mcp__srv__tool` for MCP tools). Null when no safe pattern exists (the first stage
 * is a subshell, its command is `$X`, ...): the caller should then approve this call once,
 * because the only fallback, bare `Bash`, would approve every command.
 */
export function derivePattern(call: ToolCall): string | null {
  if (call.toolName !== "Bash") return isPermissionPattern(call.toolName) ? call.toolName : null;
  const command = bashAnalysisOf(call)?.stages[0]?.words[0];
  if (command === undefined || !PLAIN_COMMAND.test(command)) return null;
  const pattern = `Bash(${command}:*)`;
  return isPermissionPattern(pattern) ? pattern : null;
}
