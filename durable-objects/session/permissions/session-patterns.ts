/**
 * The patterns an "approve for this session" answer adds (docs/api.md §6, issue 9): one
 * `Bash(<command>:*)` per top-level stage of the approved command line (wrappers stripped), as
 * Claude Code itself does, so approving `printf x > f && cat f` covers `printf` and `cat`; the
 * tool's own name for any other tool. The server sends exactly these in `tool_approval_request`
 * (`session_patterns`) and grants exactly these, so what a person is shown is what they grant.
 *
 * Empty when the call cannot be covered by any set of patterns (a stage with a substitution,
 * arithmetic, a redirection out of the workspace, a command that is `$X`, ...): the only
 * fallback, bare `Bash`, would approve every command, so such a call is approved once only.
 */
import { WORKSPACE_ROOT } from "../../../schemas/files.ts";
import { isPermissionPattern } from "../../../schemas/permissions.ts";
import { allowCoverage, bashAnalysisOf } from "./patterns.ts";
import { ASK_USER_QUESTION } from "./tool-sets.ts";
import type { ToolCall } from "./types.ts";

/** Command words plain enough to become a prefix (no expansions, globs or quotes to misread). */
const PLAIN_COMMAND = /^[\w./@%+,:~-]+$/;

/** The patterns a session-scope approval of `call` grants, in stage order, without repeats. */
export function sessionPatterns(call: ToolCall, workspace: string = WORKSPACE_ROOT): string[] {
  if (call.toolName === ASK_USER_QUESTION) return []; // only the user can answer, every time
  if (call.toolName !== "Bash") return isPermissionPattern(call.toolName) ? [call.toolName] : [];
  const analysis = bashAnalysisOf(call, workspace);
  if (analysis === null || analysis.stages.length === 0) return [];
  const patterns: string[] = [];
  for (const stage of analysis.stages) {
    const command = stage.words[0];
    if (stage.uncoverable !== null || command === undefined || !PLAIN_COMMAND.test(command)) return [];
    const pattern = `Bash(${command}:*)`;
    if (!isPermissionPattern(pattern)) return [];
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  // The patterns are read off the same analysis the allow list uses; checked all the same, so a
  // grant can never fail to cover the very call it was made for.
  return allowCoverage(patterns, call, workspace).covered ? patterns : [];
}
