/** The groups of Claude Code tools the permission modes treat alike (docs/api.md §6). */

/**
 * The file editing tools `acceptEdits` approves without asking (when the file is inside the
 * workspace and not a control file), and the input field naming the file each one writes.
 */
export const FILE_EDIT_TOOLS: ReadonlyMap<string, string> = new Map([
  ["Write", "file_path"],
  ["Edit", "file_path"],
  ["MultiEdit", "file_path"],
  ["NotebookEdit", "notebook_path"],
]);

/**
 * The tools that only read files, and the input fields naming what they read (a missing field
 * means the working directory, the workspace). `plan` mode runs them on paths inside the workspace.
 */
export const READ_TOOLS: ReadonlyMap<string, readonly string[]> = new Map([
  ["Read", ["file_path"]],
  ["NotebookRead", ["notebook_path"]],
  ["LS", ["path"]],
  ["Grep", ["path"]],
  ["Glob", ["path", "pattern"]],
]);

/**
 * Tools that touch only the agent's own bookkeeping, run in every mode unless denied: `TodoWrite`
 * keeps its checklist, `ToolSearch` loads tool definitions. Asking a person about them would
 * protect nothing.
 */
export const BOOKKEEPING_TOOLS: ReadonlySet<string> = new Set(["TodoWrite", "ToolSearch"]);

/**
 * What `plan` mode runs besides reads inside the workspace and bookkeeping: `ExitPlanMode`
 * hands the finished plan to the user. Everything else is refused in plan mode: every edit tool, `Bash` (no prefix
 * proves a command read-only: `Bash(echo:*)` admits `echo x > f`), `WebFetch` and `WebSearch`
 * (data would leave the sandbox in the mode people pick to be safe), `Task` (its sub-agent's
 * calls are not guaranteed to come back through this engine), MCP tools (nothing tells a read
 * from a write), and any tool Claude Code adds later.
 */
export const PLAN_ONLY_TOOLS: ReadonlySet<string> = new Set(["ExitPlanMode"]);

/** The tool that asks the user questions: only the user can answer, so it always asks. */
export const ASK_USER_QUESTION = "AskUserQuestion";
