/**
 * What makes an otherwise plain stage uncoverable by an allow list (docs/api.md §6, issue 9): its
 * words look harmless, but bash would run code hidden in data, or the stage reaches past the
 * workspace through a redirection.
 *
 * - Assignments whose value holds `$`, a backquote or `[`: `x='a[$(touch p)]'` stores code that
 *   any later arithmetic use of `x` (`$[x]`, `$((x))`, `test -v`, `printf -v`, `read`, ...) runs.
 * - Builtins that evaluate a variable *name* (and so its array subscript, as arithmetic) or
 *   arithmetic, when given anything but literal words: `test -v 'a[$(touch p)]'` runs `touch`.
 * - Redirections to `/dev/tcp` and `/dev/udp` (bash opens a connection: data leaves the sandbox),
 *   output redirections outside the workspace or into its control files, and redirection targets
 *   built from expansions, globs or `~` (what they name cannot be read off the command line).
 */
import type { ShellRedirection, ShellWord } from "./shell-lexer.ts";
import { isControlPath, resolvePath, workspaceRelative } from "./workspace-paths.ts";

/** Characters that turn an assigned value into possible code (see the module comment). */
const UNSAFE_VALUE = /[$`[]/;

/**
 * Bash builtins that treat an argument as a variable name (with its subscript evaluated as
 * arithmetic) or as an arithmetic expression, or run their arguments as code.
 */
const NAME_EVALUATING: ReadonlySet<string> = new Set([
  ...["test", "[", "[[", "let", "printf", "read", "mapfile", "readarray", "unset", "wait", "getopts"],
  ...["declare", "typeset", "local", "export", "readonly", "eval", "source", ".", "trap", "alias"],
]);
/** What an argument of such a builtin may not hold: an expansion, a subscript, a quoted substitution. */
const UNSAFE_ARGUMENT = /[$`[]/;

/** Output redirections that do not write a file. */
const HARMLESS_TARGETS: ReadonlySet<string> = new Set(["/dev/null", "/dev/stdout", "/dev/stderr"]);
/** A target word that is not a literal path (expansions, globs, `~`, a substitution's output). */
const NON_LITERAL_TARGET = /[$`*?[\]{}~\u0000]/;

/** True when the value of the assignment `word` (`NAME=value`) may hold code. */
export function unsafeAssignmentValue(word: ShellWord): boolean {
  const equals = word.raw.indexOf("=");
  return equals !== -1 && UNSAFE_VALUE.test(word.raw.slice(equals + 1));
}

/** Why a stage run by a name-evaluating builtin is uncoverable; null when it is not one, or harmless. */
export function builtinHazard(words: readonly ShellWord[]): string | null {
  const command = words[0]?.text;
  if (command === undefined || !NAME_EVALUATING.has(command)) return null;
  // `printf` only assigns with `-v`; `test` / `[` only read a name with `-v` / `-R` (and their
  // `-eq` refuses what is not a number, unlike `[[`, which evaluates it).
  if (command === "printf" && !words.some((word) => word.text.startsWith("-v"))) return null;
  if ((command === "test" || command === "[") && !words.some((word) => word.text === "-v" || word.text === "-R")) return null;
  const unsafe = words.slice(1).find((word) => UNSAFE_ARGUMENT.test(word.raw) || UNSAFE_ARGUMENT.test(word.text));
  return unsafe === undefined ? null : `runs the builtin ${command}, which evaluates ${JSON.stringify(unsafe.raw.slice(0, 40))} as code`;
}

/** Why a stage's redirections make it uncoverable, or null when every one stays in the workspace. */
export function redirectionHazard(redirects: readonly ShellRedirection[], workspace: string): string | null {
  for (const { op, target } of redirects) {
    if (op === "<<<" || op === "<<" || op === "<<-") continue; // data, not a path
    if (NON_LITERAL_TARGET.test(target.raw) || NON_LITERAL_TARGET.test(target.text)) {
      return `redirects to ${target.raw}, which is not a literal path`;
    }
    // `>&2`, `<&0`, `>&-`: duplicating or closing a descriptor opens nothing.
    if ((op === ">&" || op === "<&") && /^(\d+|-)$/.test(target.text)) continue;
    const absolute = resolvePath(target.text, workspace);
    if (absolute.startsWith("/dev/tcp/") || absolute.startsWith("/dev/udp/") || /^\/dev\/(tcp|udp)$/.test(absolute)) {
      return `redirects to ${target.text}: a network connection`;
    }
    if (op === "<") continue; // reading a file writes nothing
    if (HARMLESS_TARGETS.has(absolute)) continue;
    // A relative target is relative to a working directory an earlier `cd` may have moved.
    if (!target.text.startsWith("/") && target.text.split("/").includes(".."))
      return `redirects to ${target.text}, which climbs out with ..`;
    const relative = workspaceRelative(absolute, workspace);
    if (relative === null) return `redirects to ${target.text}, outside the workspace`;
    if (isControlPath(relative)) return `redirects to ${target.text}, a control file`;
  }
  return null;
}
