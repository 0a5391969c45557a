/**
 * Where a tool call writes or reads, as the permission modes judge it: inside the workspace or
 * not, and whether the file is one of the workspace's *control files*, which make code run
 * unasked later (when Claude Code restarts on wake, or when an allowed `git commit` runs a hook).
 *
 * Control files (never auto-approved, always asked about):
 * - `.claude/` at any depth: Claude Code's project settings (allow rules, hooks), commands, agents.
 * - `.mcp.json` at any depth: MCP servers are programs Claude Code starts.
 * - `.git/` at any depth: `.git/hooks/*` run on git commands, `.git/config` names programs
 *   (`core.fsmonitor`, `core.pager`, aliases) git runs on the next `git status`.
 * `CLAUDE.md` is *not* a control file: it is instructions the agent reads, and it cannot grant a
 * permission or start a program, because every tool call is decided here, not by Claude Code.
 * Editing it is ordinary project work the agent is asked to do.
 *
 * Paths are compared as strings after `.` and `..` are resolved; symbolic links are not followed
 * (this module is pure).
 */

/** Path segments that make a file a control file wherever they appear. */
const CONTROL_DIRECTORIES: ReadonlySet<string> = new Set([".claude", ".git"]);
/** File names that are control files wherever they appear. */
const CONTROL_FILES: ReadonlySet<string> = new Set([".mcp.json"]);

/** `path` resolved against `base` (when relative) with `.`, `..` and repeated `/` removed. */
export function resolvePath(path: string, base: string): string {
  const parts: string[] = [];
  for (const part of `${path.startsWith("/") ? "" : `${base}/`}${path}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** The path relative to `workspace` ("" for the workspace itself), or null when it is outside. */
export function workspaceRelative(path: string, workspace: string): string | null {
  const root = resolvePath(workspace, "/");
  const resolved = resolvePath(path, root);
  if (resolved === root) return "";
  const prefix = root === "/" ? "/" : `${root}/`;
  return resolved.startsWith(prefix) ? resolved.slice(prefix.length) : null;
}

/** True when `path` (relative to the workspace) is a control file. */
export function isControlPath(relative: string): boolean {
  const parts = relative.split("/");
  return parts.some((part) => CONTROL_DIRECTORIES.has(part)) || CONTROL_FILES.has(parts.at(-1) ?? "");
}

/**
 * Why a file at `path` may not be changed without asking, or null when it may: it must be an
 * absolute path (relative ones depend on a working directory the agent can change) inside the
 * workspace, and not a control file.
 */
export function unsafeEditTarget(path: unknown, workspace: string): string | null {
  if (typeof path !== "string" || !path.startsWith("/")) return "the path is not absolute";
  const relative = workspaceRelative(path, workspace);
  if (relative === null) return `${path} is outside the workspace`;
  if (isControlPath(relative)) return `${path} is a control file (.claude, .mcp.json, .git)`;
  return null;
}

/** Characters that start a glob: a Glob pattern's directory part ends before the first. */
const GLOB_START = /[*?[{]/;

/**
 * Why a read tool's call reaches outside the workspace, or null when it stays inside. `fields`
 * name the inputs holding paths; a missing one means the working directory (the workspace). A
 * `pattern` (Glob) counts by its directory part, before the first glob character.
 */
export function readOutsideWorkspace(input: Record<string, unknown>, fields: readonly string[], workspace: string): string | null {
  const base = typeof input["path"] === "string" ? resolvePath(input["path"], workspace) : workspace;
  for (const field of fields) {
    const value = input[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") return `${field} is not a string`;
    const literal = field === "pattern" ? value.slice(0, value.search(GLOB_START) === -1 ? undefined : value.search(GLOB_START)) : value;
    if (workspaceRelative(resolvePath(literal, field === "pattern" ? base : workspace), workspace) === null) {
      return `${value} is outside the workspace`;
    }
  }
  return null;
}
