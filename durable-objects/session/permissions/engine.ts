/**
 * The permission engine (API.md §6): decides whether a tool call runs, is refused, or waits for
 * the user. Pure: no I/O, no clock, the same answer for the same call and policy.
 *
 * Order: deny → allow → permission mode. Deny always wins, in every mode. Then:
 * - `AskUserQuestion` always asks (unless denied): only the user can answer it, so no list or
 *   mode may approve or refuse it on their behalf.
 * - `plan` is read-only, and that is a promise: only the tools in PLAN_MODE_TOOLS run; everything
 *   else, file edits and `Bash` included, is refused *even when the allow list names it*. An allow
 *   list is written for working sessions (`Bash(git:*)` admits `git commit`), and a user choosing
 *   plan mode expects nothing on disk to change whatever the profile says. A read-mostly session
 *   that needs MCP tools or commands is `acceptEdits` with the edit tools denied.
 * - `acceptEdits`: what the allow list covers runs; the file edit tools run too; everything else
 *   asks the user.
 * - `bypassPermissions`: everything runs.
 */
import { allowCoverage, denyingPattern } from "./patterns.ts";
import { ASK_USER_QUESTION, FILE_EDIT_TOOLS, PLAN_MODE_TOOLS } from "./tool-sets.ts";
import type { PermissionDecision, PermissionPolicy, ToolCall } from "./types.ts";

export { derivePattern } from "./derive-pattern.ts";
export { matchesPattern } from "./patterns.ts";
export type { PermissionDecision, PermissionMode, PermissionPolicy, ToolCall } from "./types.ts";

/** Decides one tool call against a session's allow list, deny list and permission mode. */
export function decideToolUse(call: ToolCall, policy: PermissionPolicy): PermissionDecision {
  const denial = denyingPattern(policy.denied, call);
  if (denial !== null) return { decision: "deny", reason: `denied by ${denial}` };
  if (call.toolName === ASK_USER_QUESTION) return { decision: "ask", reason: "only the user can answer a question" };
  if (policy.mode === "plan") {
    return PLAN_MODE_TOOLS.has(call.toolName)
      ? { decision: "allow", reason: `plan mode runs the read-only tool ${call.toolName}` }
      : { decision: "deny", reason: `plan mode is read-only: ${call.toolName} is refused, whatever the allow list says` };
  }
  const coverage = allowCoverage(policy.allowed, call);
  if (coverage.covered) return { decision: "allow", reason: `allowed by ${coverage.by.join(", ")}` };
  switch (policy.mode) {
    case "bypassPermissions":
      return { decision: "allow", reason: "bypassPermissions approves everything not denied" };
    case "acceptEdits":
      return FILE_EDIT_TOOLS.has(call.toolName)
        ? { decision: "allow", reason: `acceptEdits approves the file edit tool ${call.toolName}` }
        : { decision: "ask", reason: `not on the allow list (${coverage.why}): acceptEdits asks` };
    default: {
      // Unreachable for valid policies; an unknown mode from bad data must not approve anything.
      const mode: never = policy.mode;
      return { decision: "ask", reason: `unknown permission mode ${String(mode)}` };
    }
  }
}
