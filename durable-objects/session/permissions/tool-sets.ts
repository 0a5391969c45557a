/** The groups of Claude Code tools the permission modes treat alike (API.md §6). */

/** The file editing tools `acceptEdits` approves without asking. */
export const FILE_EDIT_TOOLS: ReadonlySet<string> = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

/**
 * The only tools `plan` mode runs: they read files or the web, or only touch the agent's own
 * bookkeeping (`TodoWrite` keeps its checklist, `ToolSearch` loads tool definitions,
 * `ExitPlanMode` hands the finished plan to the user). Not here, so refused in plan mode: every
 * edit tool, `Bash` (no prefix proves a command read-only: `Bash(echo:*)` admits `echo x > f`),
 * `Task` (its sub-agent's calls are not guaranteed to come back through this engine), MCP tools
 * (nothing tells a read from a write), and any tool Claude Code adds later.
 */
export const PLAN_MODE_TOOLS: ReadonlySet<string> = new Set([
  "Read",
  "Grep",
  "Glob",
  "LS",
  "NotebookRead",
  "WebFetch",
  "WebSearch",
  "TodoWrite",
  "ToolSearch",
  "ExitPlanMode",
]);

/** The tool that asks the user questions: only the user can answer, so it always asks. */
export const ASK_USER_QUESTION = "AskUserQuestion";
