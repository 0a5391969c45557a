/**
 * What a `Bash` command line looks like to the permission lists (docs/api.md §6): the top-level
 * stages an allow list must cover one by one, and the word sequences a deny list is checked
 * against. Both are read off the lexer's stages, after the wrappers are stripped.
 *
 * Known consequences of matching by prefix, by design:
 * - Redirections are not part of what is matched, but where they lead is checked
 *   (stage-hazards.ts): `Bash(echo:*)` allows `echo hi > notes.txt` inside the workspace, never
 *   `> ~/.bashrc`, `> .git/hooks/x` or `> /dev/tcp/...`.
 * - A prefix allows every argument: `Bash(git:*)` allows `git push --force` and
 *   `git -c core.pager='sh -c ...' log`, `Bash(find:*)` allows `find -exec`. Allow only commands
 *   whose every use is acceptable.
 * - Deny lists are a guard rail, not a sandbox: they see through the wrappers, `/bin/rm`,
 *   substitutions and subshells, `eval` and `sh -c '...'`, but not through scripts, interpreters
 *   (`python -c`), aliases made elsewhere, or variables used as commands (`$X -rf /`).
 */
import { denyFormStarts, stripWrappers, type StrippedCommand } from "./command-wrappers.ts";
import { lexCommand, type ShellStage, type ShellWord } from "./shell-lexer.ts";
import { builtinHazard, redirectionHazard } from "./stage-hazards.ts";

/** A top-level stage, as an allow list sees it. */
export type CommandStage = {
  /** The words once wrappers and assignments are stripped, the command first. */
  words: string[];
  /** Why no allow pattern can cover this stage, or null when a matching prefix covers it. */
  uncoverable: string | null;
};

/** A command line analysed for the permission lists. */
export type BashAnalysis = {
  /** The top-level stages to cover, in order; stages of bare assignments (`FOO=1;`) are left out. */
  stages: CommandStage[];
  /**
   * Every word sequence, nested ones included, that a deny prefix must not start; null when the
   * command line is too convoluted to read, and so cannot be shown to be outside a deny list.
   */
  denyForms: string[][] | null;
};

/** Shells whose `-c` script deny lists look into. */
const SHELLS: ReadonlySet<string> = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash"]);
/** How many `eval` / `sh -c` levels deny lists follow. */
const MAX_SCRIPT_DEPTH = 3;
/**
 * Words of a form kept for matching: a prefix (at most 200 characters) has fewer, so longer
 * forms are cut, which keeps a huge argument list from being copied once per wrapper.
 */
const MATCHED_WORDS = 128;

/** Analyses one `Bash` command line; `workspace` is where redirections may write. */
export function analyseBash(command: string, workspace: string): BashAnalysis {
  const stages: CommandStage[] = [];
  let forms: string[][] | null = [];
  for (const stage of lexCommand(command)) {
    if (forms !== null && !addStageForms(stage, 0, forms)) forms = null;
    if (stage.nested) continue;
    const stripped = stripWrappers(stage.words);
    const words = stripped.words.map((word) => word.text);
    const uncoverable = whyUncoverable(stage, stripped, workspace);
    // A stage of only safe assignments (`FOO=1`) runs nothing, so there is nothing to cover.
    if (uncoverable !== null || words.length > 0) stages.push({ words, uncoverable });
  }
  return { stages, denyForms: forms };
}

/** Why no allow pattern may cover a top-level stage, or null when a matching prefix covers it. */
function whyUncoverable(stage: ShellStage, stripped: StrippedCommand, workspace: string): string | null {
  if (stage.arithmetic) return "has arithmetic expansion, which can run code hidden in a variable";
  if (stage.opaque) return "has a substitution, subshell, group, heredoc or brace expansion";
  if (stripped.codeLoadingVariable !== null) return `sets ${stripped.codeLoadingVariable}`;
  if (stripped.unsafeAssignment !== null) return `assigns ${stripped.unsafeAssignment.slice(0, 40)}, a value with $, \` or [`;
  if (stripped.words.length === 0 && stage.redirections > 0) return "redirects without a command"; // `> file` truncates it
  return builtinHazard(stripped.words) ?? redirectionHazard(stage.redirects, workspace);
}

/** A stage's deny forms (see addDenyForms); false when it is unreadable, arithmetic included. */
function addStageForms(stage: ShellStage, depth: number, forms: string[][]): boolean {
  return !stage.arithmetic && addDenyForms(stage.words, depth, forms);
}

/**
 * Adds the forms of a stage a deny prefix is checked against: each lenient stripping step, the
 * same with the command's directory dropped (`/bin/rm` is `rm`), the stages of the script an
 * `eval ...` or `sh -c '...'` form runs, and the stages of any quoted `$(...)` or backquote (a
 * builtin may evaluate it later: `test -v 'a[$(rm x)]'`). False when the stage is too convoluted
 * to read: its command is an expansion (`$X -rf`), or a builtin evaluates non-literal arguments.
 */
function addDenyForms(words: readonly ShellWord[], depth: number, forms: string[][]): boolean {
  const starts = denyFormStarts(words);
  if (starts === null) return false;
  const texts = words.map((word) => word.text);
  for (const start of starts) {
    const form = texts.slice(start, start + MATCHED_WORDS);
    const command = form[0]!;
    const assignment = /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(words[start]!.raw);
    if (!assignment && (/[$`\u0000]/.test(command) || builtinHazard(words.slice(start)) !== null)) return false;
    forms.push(form);
    const base = command.slice(command.lastIndexOf("/") + 1);
    if (base !== command && base !== "") forms.push([base, ...form.slice(1)]);
    if (depth >= MAX_SCRIPT_DEPTH || (base !== "eval" && !SHELLS.has(base))) continue;
    const script = scriptOf(base, texts.slice(start + 1));
    if (script === null) continue;
    for (const stage of lexCommand(script)) {
      if (!addStageForms(stage, depth + 1, forms)) return false;
    }
  }
  if (depth >= MAX_SCRIPT_DEPTH) return true;
  for (const text of texts) {
    if (!/\$\(|`|\$\[/.test(text)) continue;
    for (const stage of lexCommand(text)) {
      if (stage.arithmetic || (stage.nested && !addStageForms(stage, depth + 1, forms))) return false;
    }
  }
  return true;
}

/** The shell code a command runs from its arguments: `eval a b` runs `a b`, `bash -lc 'x'` runs `x`. */
function scriptOf(command: string, args: readonly string[]): string | null {
  if (command === "eval") return args.join(" ");
  if (!SHELLS.has(command)) return null;
  const flag = args.findIndex((arg) => /^-[A-Za-z]*c[A-Za-z]*$/.test(arg));
  return flag === -1 ? null : (args[flag + 1] ?? null);
}
