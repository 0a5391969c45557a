/**
 * The permission engine against bash itself (issue 9): generated command lines, and whenever the
 * engine says `allow`, bash runs the command under strace and must execute no program outside
 * what was allowed. Catches what table tests cannot: code hidden in data that bash evaluates
 * (arithmetic, subscripts of names given to builtins), wrappers, quoting.
 *
 * Only harmless programs appear in the generated lines (`touch` plays the forbidden one), and each
 * runs offline in a fresh temporary directory. The generator is seeded, so a failure reproduces.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decideToolUse, type PermissionPolicy } from "../../durable-objects/session/permissions/engine.ts";
import { random } from "../fakes/seeded-random.ts";

/** Commands the engine strips as wrappers: they may run around an allowed command. */
const WRAPPERS = ["timeout", "nice", "nohup", "stdbuf", "xargs"];
/** How many command lines each property tries (bypassPermissions allows more of them, so runs more). */
const CASES = 400;
const DENY_CASES = 250;

const root = mkdtempSync(path.join(os.tmpdir(), "permission-fuzz-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HIDDEN = "a[$(touch pwned)]";
const COMMANDS = ["ls", "cat", "echo", "printf", "test", "[", "read", "declare", "true", "id", "touch", "/usr/bin/touch", "$x", "\\touch"];
const PREFIXES = ["", "", "", "timeout 5 ", "nice -n 1 ", "nohup ", "xargs ", "FOO=1 ", `y='${HIDDEN}' `, "command ", "env "];
const ARGS = [
  "a",
  "-la",
  "-v",
  "$x",
  '"$x"',
  "${x}",
  "$[x]",
  "$((x))",
  `'${HIDDEN}'`,
  '"$(touch p)"',
  "`touch p`",
  "'$(touch p)'",
  "*.txt",
  "~",
  "%s",
  "1",
  "-eq",
  "]",
  "x",
  "'a b'",
  "\\$\\(touch p\\)",
];
const ASSIGNMENTS = [
  `x='${HIDDEN}'`,
  "x=1",
  "x=touch",
  "x=$y",
  "x=a[1]",
  'x="$(touch p)"',
  `export x='${HIDDEN}'`,
  `printf -v x '${HIDDEN}'`,
  `read x <<< '${HIDDEN}'`,
];
const REDIRECTIONS = ["", "", "", " > out.txt", " 2>&1", " < in.txt", " >/dev/null", ` <<< '${HIDDEN}'`, " > ../escape.txt"];
const SEPARATORS = ["; ", " && ", " | ", " || ", "\n"];
const ALLOWABLE = ["ls", "cat", "echo", "printf", "test", "[", "read", "declare", "true", "id"];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

/** One generated command line: a few stages, some preceded by an assignment. */
function commandLine(next: () => number): string {
  const stages: string[] = [];
  const count = 1 + Math.floor(next() * 2);
  for (let i = 0; i < count; i++) {
    if (next() < 0.35) stages.push(pick(next, ASSIGNMENTS));
    const args = Array.from({ length: Math.floor(next() * 3) }, () => pick(next, ARGS));
    const command = next() < 0.6 ? pick(next, ALLOWABLE) : pick(next, COMMANDS);
    stages.push(`${pick(next, PREFIXES)}${command} ${args.join(" ")}${pick(next, REDIRECTIONS)}`.trim());
  }
  return stages.reduce((line, stage) => (line === "" ? stage : `${line}${pick(next, SEPARATORS)}${stage}`), "");
}

/** The programs bash executed for `command` (base names), observed with strace. */
function executedPrograms(command: string): string[] {
  const dir = mkdtempSync(path.join(root, "run-"));
  writeFileSync(path.join(dir, "in.txt"), "in\n");
  const log = path.join(dir, "..", `${path.basename(dir)}.strace`);
  const result = spawnSync("strace", ["-f", "-qq", "-e", "trace=execve", "-o", log, "bash", "-c", command], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: dir, LANG: "C" },
    input: "",
    timeout: 10_000,
    encoding: "utf8",
  });
  if (result.error) throw result.error;
  const programs = readFileSync(log, "utf8")
    .split("\n")
    .map((line) => /execve\("([^"]+)".*\) = 0$/.exec(line)?.[1])
    .filter((program) => program !== undefined)
    .map((program) => path.basename(program));
  rmSync(dir, { recursive: true, force: true });
  return programs.slice(1); // the first is bash itself
}

describe("the engine against bash (strace-observed)", () => {
  it("the observer sees a program hidden in arithmetic (control)", () => {
    expect(executedPrograms(`x='${HIDDEN}'; ls $[x]`)).toContain("touch");
  });

  it(`allowed command lines run only allowed programs (${CASES} generated, acceptEdits)`, () => {
    const next = random(9);
    let ran = 0;
    for (let i = 0; i < CASES; i++) {
      const allowedCommands = ALLOWABLE.filter(() => next() < 0.8);
      const policy: PermissionPolicy = { allowed: allowedCommands.map((c) => `Bash(${c}:*)`), denied: [], mode: "acceptEdits" };
      const command = commandLine(next);
      const verdict = decideToolUse({ toolName: "Bash", input: { command } }, policy);
      if (verdict.decision !== "allow") continue;
      ran++;
      const outside = executedPrograms(command).filter((program) => !allowedCommands.includes(program) && !WRAPPERS.includes(program));
      expect({ command, allowed: policy.allowed, outside }).toEqual({ command, allowed: policy.allowed, outside: [] });
    }
    // The generator must exercise the property, not only produce lines that ask.
    expect(ran).toBeGreaterThan(60);
  });

  it(`a denied prefix never runs when the engine allows (${DENY_CASES} generated, bypassPermissions)`, () => {
    const next = random(17);
    let ran = 0;
    for (let i = 0; i < DENY_CASES; i++) {
      const command = commandLine(next);
      const policy: PermissionPolicy = { allowed: [], denied: ["Bash(touch:*)"], mode: "bypassPermissions" };
      const verdict = decideToolUse({ toolName: "Bash", input: { command } }, policy);
      if (verdict.decision !== "allow") continue;
      ran++;
      expect({ command, touched: executedPrograms(command).includes("touch") }).toEqual({ command, touched: false });
    }
    expect(ran).toBeGreaterThan(60);
  });
});
