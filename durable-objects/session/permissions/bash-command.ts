/**
 * What a `Bash` command line looks like to the permission lists (API.md §6): the top-level
 * stages an allow list must cover one by one, and the word sequences a deny list is checked
 * against. Both are read off the lexer's stages, after the wrappers are stripped.
 *
 * Known consequences of matching by prefix, by design:
 * - Redirections are not part of what is matched: `Bash(echo:*)` allows `echo hi > /etc/passwd`,
 *   and any allowed command may overwrite files through `>`.
 * - A prefix allows every argument: `Bash(git:*)` allows `git push --force` and
 *   `git -c core.pager='sh -c ...' log`, `Bash(find:*)` allows `find -exec`. Allow only commands
 *   whose every use is acceptable.
 * - Deny lists are a guard rail, not a sandbox: they see through the wrappers, `/bin/rm`,
 *   substitutions and subshells, `eval` and `sh -c '...'`, but not through scripts, interpreters
 *   (`python -c`), aliases made elsewhere, or variables used as commands (`$X -rf /`).
 */
import { denyFormStarts, stripWrappers } from "./command-wrappers.ts";
import { lexCommand, type ShellWord } from "./shell-lexer.ts";

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

/** Analyses one `Bash` command line. */
export function analyseBash(command: string): BashAnalysis {
  const stages: CommandStage[] = [];
  let forms: string[][] | null = [];
  for (const stage of lexCommand(command)) {
    if (forms !== null && !addDenyForms(stage.words, 0, forms)) forms = null;
    if (stage.nested) continue;
    const stripped = stripWrappers(stage.words);
    const words = stripped.words.map((word) => word.text);
    if (stage.opaque) {
      stages.push({ words, uncoverable: "has a substitution, subshell, group, heredoc or brace expansion" });
    } else if (stripped.codeLoadingVariable !== null) {
      stages.push({ words, uncoverable: `sets ${stripped.codeLoadingVariable}` });
    } else if (words.length === 0 && stage.redirections > 0) {
      stages.push({ words, uncoverable: "redirects without a command" }); // `> file` truncates it
    } else if (words.length > 0) {
      stages.push({ words, uncoverable: null });
    }
    // Otherwise only assignments (`FOO=1`): they run nothing, so there is nothing to cover.
  }
  return { stages, denyForms: forms };
}

/**
 * Adds the forms of a stage a deny prefix is checked against: each lenient stripping step, the
 * same with the command's directory dropped (`/bin/rm` is `rm`), and the stages of the script an
 * `eval ...` or `sh -c '...'` form runs. False when the stage is too convoluted to read.
 */
function addDenyForms(words: readonly ShellWord[], depth: number, forms: string[][]): boolean {
  const starts = denyFormStarts(words);
  if (starts === null) return false;
  const texts = words.map((word) => word.text);
  for (const start of starts) {
    const form = texts.slice(start, start + MATCHED_WORDS);
    forms.push(form);
    const command = form[0]!;
    const base = command.slice(command.lastIndexOf("/") + 1);
    if (base !== command && base !== "") forms.push([base, ...form.slice(1)]);
    if (depth >= MAX_SCRIPT_DEPTH || (base !== "eval" && !SHELLS.has(base))) continue;
    const script = scriptOf(base, texts.slice(start + 1));
    if (script === null) continue;
    for (const stage of lexCommand(script)) {
      if (!addDenyForms(stage.words, depth + 1, forms)) return false;
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
