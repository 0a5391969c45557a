/**
 * The permission engine (docs/api.md §6): decides whether a tool call runs, is refused, or waits for
 * the user. Pure: no I/O, no clock, the same answer for the same call and policy. Every tool
 * call Claude Code makes reaches it (the runner's PreToolUse hook), read-only ones included:
 * Claude Code's own heuristics approve nothing.
 *
 * Order: deny → allow → permission mode. Deny always wins, in every mode. Then:
 * - `AskUserQuestion` always asks (unless denied): only the user can answer it, so no list or
 *   mode may approve or refuse it on their behalf.
 * - The agent's bookkeeping tools (`TodoWrite`, `ToolSearch`) run in every mode.
 * - `plan` is read-only, and that is a promise: only the read tools on paths inside the
 *   workspace and the agent's bookkeeping tools run; everything else, file edits, `Bash`,
 *   `WebFetch` and `WebSearch` included, is refused *even when the allow list names it*. An allow
 *   list is written for working sessions (`Bash(git:*)` admits `git commit`), and a user choosing
 *   plan mode expects nothing on disk to change and nothing to leave the sandbox, whatever the
 *   profile says. A read-mostly session that needs MCP tools or commands is `acceptEdits` with
 *   the edit tools denied.
 * - `acceptEdits`: what the allow list covers runs; the file edit tools run too when the file is
 *   inside the workspace and not a control file (workspace-paths.ts); everything else asks.
 * - `bypassPermissions`: everything runs.
 */
import { WORKSPACE_ROOT } from "../../../schemas/files.ts";
import { allowCoverage, denyingPattern } from "./patterns.ts";
import { ASK_USER_QUESTION, FILE_EDIT_TOOLS, BOOKKEEPING_TOOLS, PLAN_ONLY_TOOLS, READ_TOOLS } from "./tool-sets.ts";
import type { PermissionDecision, PermissionPolicy, ToolCall } from "./types.ts";
import { readOutsideWorkspace, unsafeEditTarget } from "./workspace-paths.ts";

export { sessionPatterns } from "./session-patterns.ts";
export { matchesPattern } from "./patterns.ts";
export type { PermissionDecision, PermissionMode, PermissionPolicy, ToolCall } from "./types.ts";

/** Decides one tool call against a session's allow list, deny list and permission mode. */
export function decideToolUse(call: ToolCall, policy: PermissionPolicy): PermissionDecision {
  const workspace = policy.workspace ?? WORKSPACE_ROOT;
  const denial = denyingPattern(policy.denied, call);
  if (denial !== null) return { decision: "deny", reason: `denied by ${denial}` };
  if (call.toolName === ASK_USER_QUESTION) return { decision: "ask", reason: "only the user can answer a question" };
  if (BOOKKEEPING_TOOLS.has(call.toolName))
    return { decision: "allow", reason: `${call.toolName} touches only the agent's own bookkeeping` };
  if (policy.mode === "plan") return decidePlan(call, workspace);
  const coverage = allowCoverage(policy.allowed, call, workspace);
  if (coverage.covered) return { decision: "allow", reason: `allowed by ${coverage.by.join(", ")}` };
  switch (policy.mode) {
    case "bypassPermissions":
      return { decision: "allow", reason: "bypassPermissions approves everything not denied" };
    case "acceptEdits": {
      const field = FILE_EDIT_TOOLS.get(call.toolName);
      if (field === undefined) return { decision: "ask", reason: `not on the allow list (${coverage.why}): acceptEdits asks` };
      const resolved = call.resolvedPaths?.[field];
      const unsafe =
        unsafeEditTarget(call.input[field], workspace) ?? (resolved === undefined ? null : unsafeEditTarget(resolved, workspace));
      return unsafe === null
        ? { decision: "allow", reason: `acceptEdits approves the file edit tool ${call.toolName} inside the workspace` }
        : { decision: "ask", reason: `acceptEdits asks: ${unsafe}` };
    }
    default: {
      // Unreachable for valid policies; an unknown mode from bad data must not approve anything.
      const mode: never = policy.mode;
      return { decision: "ask", reason: `unknown permission mode ${String(mode)}` };
    }
  }
}

/** Plan mode: reads inside the workspace and bookkeeping run; everything else is refused. */
function decidePlan(call: ToolCall, workspace: string): PermissionDecision {
  if (PLAN_ONLY_TOOLS.has(call.toolName)) return { decision: "allow", reason: `plan mode runs ${call.toolName}` };
  const fields = READ_TOOLS.get(call.toolName);
  if (fields === undefined) {
    return { decision: "deny", reason: `plan mode is read-only: ${call.toolName} is refused, whatever the allow list says` };
  }
  const outside = readOutsideWorkspace(call.input, fields, workspace) ?? readOutsideWorkspace(resolvedInput(call), fields, workspace);
  return outside === null
    ? { decision: "allow", reason: `plan mode runs the read-only tool ${call.toolName} inside the workspace` }
    : { decision: "deny", reason: `plan mode reads only inside the workspace: ${outside}` };
}

/** The input with each path field replaced by where it really leads, when the runner said. */
function resolvedInput(call: ToolCall): Record<string, unknown> {
  const resolved = Object.entries(call.resolvedPaths ?? {}).map(([field, real]) => [field, real === "" ? "/" : real]);
  return { ...call.input, ...Object.fromEntries(resolved) };
}
