/**
 * Commands that run another command (`timeout 5 ls`, `nice -n 5 ls`, `FOO=1 ls`, ...) and the
 * two ways of looking through them.
 *
 * - For allow lists, `stripWrappers` removes exactly what docs/api.md §6 lists: `timeout`, `time`,
 *   `nice`, `nohup`, `stdbuf`, bare `xargs` and `VAR=value`, with their options parsed strictly.
 *   An option it does not know stops the stripping, so the stage then needs a pattern for the
 *   wrapper itself (`Bash(timeout:*)`): a misread never approves a command nobody allowed.
 * - For deny lists, `denyFormStarts` is lenient on purpose: it also looks through `xargs` with
 *   options, `sudo`, `env`, `command`, `exec`, `builtin`, `!` and the keywords that precede a
 *   command (`if`, `then`, `do`, ...), skips unknown options, and yields every intermediate form,
 *   so `Bash(timeout:*)` and `Bash(rm:*)` both deny `timeout 5 rm x`. A deny that fires too
 *   often costs a retry; one that fires too rarely costs the user's files.
 */
import type { ShellWord } from "./shell-lexer.ts";
import { unsafeAssignmentValue } from "./stage-hazards.ts";

/** The options a wrapper accepts before the command it runs. */
type WrapperSpec = {
  /** Short options that take a value (attached `-sKILL` or as the next word `-s KILL`). */
  shortWithValue: string;
  /** Short options without a value. */
  shortFlags: string;
  /** Long options that take a value (`--signal=KILL` or `--signal KILL`). */
  longWithValue: readonly string[];
  /** Long options without a value. */
  longFlags: readonly string[];
  /** `nice -5`: an old-style numeric option. */
  numericOption?: boolean;
  /** An operand that precedes the command (timeout's duration), and what it must look like. */
  operand?: RegExp;
};

const NO_OPTIONS: WrapperSpec = { shortWithValue: "", shortFlags: "", longWithValue: [], longFlags: [] };

/** The wrappers docs/api.md §6 strips for allow lists; options as GNU coreutils and bash define them. */
const ALLOW_WRAPPERS: ReadonlyMap<string, WrapperSpec> = new Map([
  [
    "timeout",
    {
      shortWithValue: "ks",
      shortFlags: "v",
      longWithValue: ["kill-after", "signal"],
      longFlags: ["foreground", "preserve-status", "verbose"],
      operand: /^(\d+(\.\d*)?|\.\d+)[smhd]?$/,
    },
  ],
  ["time", { ...NO_OPTIONS, shortFlags: "p" }],
  ["nice", { ...NO_OPTIONS, shortWithValue: "n", longWithValue: ["adjustment"], numericOption: true }],
  ["nohup", NO_OPTIONS],
  ["stdbuf", { ...NO_OPTIONS, shortWithValue: "ioe", longWithValue: ["input", "output", "error"] }],
  // Only bare `xargs`: with options (`-I {}`, `-0`, ...) it is not stripped, see the module doc.
  ["xargs", NO_OPTIONS],
]);

/** What deny lists additionally look through (and `xargs` with its options). */
const DENY_ONLY_WRAPPERS: ReadonlyMap<string, WrapperSpec> = new Map([
  [
    "xargs",
    {
      shortWithValue: "adEILnPs",
      shortFlags: "0eilprtxo",
      longWithValue: ["arg-file", "delimiter", "eof", "replace", "max-lines", "max-args", "max-procs", "max-chars", "process-slot-var"],
      longFlags: ["null", "interactive", "no-run-if-empty", "verbose", "exit", "open-tty", "show-limits"],
    },
  ],
  [
    "sudo",
    {
      shortWithValue: "ugCDhprtUT",
      shortFlags: "AbEeHiKklnPSsVv",
      longWithValue: ["user", "group", "close-from", "chdir", "host", "prompt", "role", "type", "other-user", "command-timeout"],
      longFlags: [],
    },
  ],
  ["env", { ...NO_OPTIONS, shortWithValue: "uCS", shortFlags: "i0v", longWithValue: ["unset", "chdir", "split-string"] }],
  ["exec", { ...NO_OPTIONS, shortWithValue: "a", shortFlags: "cl" }],
  ["command", { ...NO_OPTIONS, shortFlags: "pvV" }],
  ...["builtin", "!", "if", "elif", "then", "else", "while", "until", "do"].map((name): [string, WrapperSpec] => [name, NO_OPTIONS]),
]);

/**
 * Variables that change which code runs rather than what the program does: a stage setting one
 * (`LD_PRELOAD=./x.so ls`) is not covered by `Bash(ls:*)`. Defence in depth, not a complete list.
 */
const CODE_LOADING_VARIABLES: ReadonlySet<string> = new Set([
  ...["PATH", "BASH_ENV", "ENV", "IFS", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "GCONV_PATH"],
  ...["NODE_OPTIONS", "PYTHONPATH", "PERL5OPT", "PERL5LIB", "RUBYOPT", "RUBYLIB"],
  ...["PAGER", "EDITOR", "VISUAL", "LESSOPEN", "LESSCLOSE"],
]);
/** Families of such variables: the dynamic loader's and git's (`GIT_SSH_COMMAND`, ...). */
const CODE_LOADING_PREFIXES = ["LD_", "DYLD_", "GIT_"];

/** `NAME=value` or `NAME+=value` with the name unquoted: what bash treats as an assignment. */
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/;

/** A stage's command once the allow-list wrappers are stripped. */
export type StrippedCommand = {
  /** The words left, starting with the command that actually runs (empty for `FOO=1` alone). */
  words: ShellWord[];
  /** The first code-loading variable a stripped assignment set, or null. */
  codeLoadingVariable: string | null;
  /** The first stripped assignment whose value holds `$`, a backquote or `[` (source text), or null. */
  unsafeAssignment: string | null;
};

/** Strips the wrappers and assignments docs/api.md §6 lists, repeatedly and in any order. */
export function stripWrappers(words: readonly ShellWord[]): StrippedCommand {
  let at = 0; // indices, not slices: a long run of `A=1 A=1 ...` must stay linear
  let codeLoadingVariable: string | null = null;
  let unsafeAssignment: string | null = null;
  for (;;) {
    const name = assignedName(words[at]);
    if (name !== null) {
      if (codeLoadingVariable === null && loadsCode(name)) codeLoadingVariable = name;
      if (unsafeAssignment === null && unsafeAssignmentValue(words[at]!)) unsafeAssignment = words[at]!.raw;
      at++;
      continue;
    }
    const next = wrappedCommandStart(words, at, ALLOW_WRAPPERS, true);
    if (next === null) return { words: words.slice(at), codeLoadingVariable, unsafeAssignment };
    at = next;
  }
}

/** More wrappers and assignments than any real command has: past this, a stage is unreadable. */
const MAX_DENY_STEPS = 64;

/**
 * Where each form of a stage a deny pattern is checked against starts: the stage as written
 * (0), then after each wrapper or assignment the lenient reading strips. Null when there are
 * more than MAX_DENY_STEPS (a padded command line made to be expensive to read).
 */
export function denyFormStarts(words: readonly ShellWord[]): number[] | null {
  const starts: number[] = [];
  let at: number | null = 0;
  while (at !== null && at < words.length) {
    if (starts.length === MAX_DENY_STEPS) return null;
    starts.push(at);
    if (assignedName(words[at]) !== null) at++;
    else {
      // The deny table first: its `xargs` knows the options that take a value (`-I {}`).
      at = wrappedCommandStart(words, at, DENY_ONLY_WRAPPERS, false) ?? wrappedCommandStart(words, at, ALLOW_WRAPPERS, false);
    }
  }
  return starts;
}

function loadsCode(name: string): boolean {
  return CODE_LOADING_VARIABLES.has(name) || CODE_LOADING_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function assignedName(word: ShellWord | undefined): string | null {
  return word === undefined ? null : (ASSIGNMENT.exec(word.raw)?.[1] ?? null);
}

/**
 * Where the command wrapped by `words[at]` starts, or null when `words[at]` is not one of
 * `wrappers`, or (strict) its options do not parse, or no command follows.
 */
function wrappedCommandStart(
  words: readonly ShellWord[],
  at: number,
  wrappers: ReadonlyMap<string, WrapperSpec>,
  strict: boolean,
): number | null {
  const first = words[at];
  const spec = first === undefined ? undefined : wrappers.get(first.text);
  if (spec === undefined) return null;
  let i = skipOptions(words, at + 1, spec, strict);
  if (i === null) return null;
  if (spec.operand !== undefined) {
    const operand = words[i];
    if (operand === undefined || (strict && !spec.operand.test(operand.text))) return null;
    i++;
  }
  return i < words.length ? i : null;
}

/** The index after the options starting at `i` (getopt with `+`: options end at the first operand). */
function skipOptions(words: readonly ShellWord[], i: number, spec: WrapperSpec, strict: boolean): number | null {
  while (i < words.length) {
    const word = words[i]!.text;
    if (word === "--") return i + 1;
    if (!word.startsWith("-") || word === "-") return i;
    if (word.startsWith("--")) {
      const equals = word.indexOf("=");
      const name = word.slice(2, equals === -1 ? undefined : equals);
      if (spec.longWithValue.includes(name)) i += equals === -1 ? 2 : 1;
      else if (spec.longFlags.includes(name) && equals === -1) i += 1;
      else if (strict) return null;
      else i += 1;
      continue;
    }
    const letter = word[1]!;
    if (spec.shortWithValue.includes(letter)) i += word.length > 2 ? 1 : 2;
    else if (spec.shortFlags.includes(letter) && (word.length === 2 || !strict)) i += 1;
    else if (spec.numericOption === true && /^-\d+$/.test(word)) i += 1;
    else if (strict) return null;
    else i += 1;
  }
  return i;
}
