/**
 * The permission engine (API.md §6), table-driven: Bash command-line matching, tool and MCP
 * patterns, the order deny → allow → mode, each mode, and the derived session patterns.
 */
import { describe, expect, it } from "vitest";
import {
  decideToolUse,
  derivePattern,
  matchesPattern,
  type PermissionMode,
  type ToolCall,
} from "../../durable-objects/session/permissions/engine.ts";

type Decision = "allow" | "deny" | "ask";

type DecisionCase = {
  name: string;
  call: ToolCall;
  allowed?: string[];
  denied?: string[];
  mode?: PermissionMode;
  expected: Decision;
};

const bash = (command: string): ToolCall => ({ toolName: "Bash", input: { command } });
const tool = (toolName: string, input: Record<string, unknown> = {}): ToolCall => ({ toolName, input });

/** Runs every case of a table through `decideToolUse` (acceptEdits unless a case says otherwise). */
function decides(cases: DecisionCase[]): void {
  it.each(cases)("$name", ({ call, allowed = [], denied = [], mode = "acceptEdits", expected }) => {
    const verdict = decideToolUse(call, { allowed, denied, mode });
    expect(verdict.decision, verdict.reason).toBe(expected);
    expect(verdict.reason).not.toBe("");
  });
}

describe("Bash: every stage must be covered, any stage may be denied", () => {
  decides([
    { name: "git status && rm -rf / is not covered by Bash(git:*)", call: bash("git status && rm -rf /"), allowed: ["Bash(git:*)"], expected: "ask" },
    { name: "git status && rm -rf / is denied by Bash(rm:*)", call: bash("git status && rm -rf /"), allowed: ["Bash(git:*)"], denied: ["Bash(rm:*)"], expected: "deny" },
    { name: "each operator splits: ||", call: bash("ls || rm x"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "each operator splits: &", call: bash("ls & rm x"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "each operator splits: ;", call: bash("ls;rm x"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "each operator splits: |&", call: bash("ls |& rm x"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "a newline splits (deny)", call: bash("ls\nrm x"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "a newline splits (allow)", call: bash("ls\nrm x"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "cat a | grep b with only Bash(cat:*)", call: bash("cat a | grep b"), allowed: ["Bash(cat:*)"], expected: "ask" },
    { name: "cat a | grep b with Bash(cat:*) and Bash(grep:*)", call: bash("cat a | grep b"), allowed: ["Bash(cat:*)", "Bash(grep:*)"], expected: "allow" },
    { name: 'echo "a;rm -rf /" is one quoted stage', call: bash('echo "a;rm -rf /"'), allowed: ["Bash(echo:*)"], expected: "allow" },
    { name: "a quoted separator is not a stage for deny either", call: bash("echo 'a && rm -rf /'"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "allow" },
    { name: "an escaped ; is not a separator", call: bash("find . -name x -exec cat {} \\;"), allowed: ["Bash(find:*)"], expected: "allow" },
    { name: "trailing ; leaves an empty stage, ignored", call: bash("ls -la;"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "2>&1 is a redirection, not a background &", call: bash("ls 2>&1 | head -5"), allowed: ["Bash(ls:*)", "Bash(head:*)"], expected: "allow" },
    { name: "&> is a redirection", call: bash("ls &>/dev/null"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "a command line that runs nothing is not covered", call: bash(""), allowed: ["Bash(ls:*)"], expected: "ask" },
  ]);
});

describe("Bash: prefixes match whole words", () => {
  decides([
    { name: "exact ls matches Bash(ls:*)", call: bash("ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "ls -la matches Bash(ls:*)", call: bash("ls -la"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "lsof does not match Bash(ls:*)", call: bash("lsof"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "a two-word prefix", call: bash("git status --short"), allowed: ["Bash(git status:*)"], expected: "allow" },
    { name: "a two-word prefix does not cover another subcommand", call: bash("git push"), allowed: ["Bash(git status:*)"], expected: "ask" },
    { name: "prefix matching is case-sensitive", call: bash("LS"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "extra spaces and quotes do not dodge a deny", call: bash("'rm'   -rf /"), denied: ["Bash(rm -rf:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "a path to the command does not dodge a deny", call: bash("/bin/rm x"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "a path to the command is not what an allow names", call: bash("/tmp/evil/ls"), allowed: ["Bash(ls:*)"], expected: "ask" },
    // Known consequence of prefix matching: redirections are not part of the match.
    { name: "Bash(echo:*) allows echo hi > /etc/passwd (documented)", call: bash("echo hi > /etc/passwd"), allowed: ["Bash(echo:*)"], expected: "allow" },
    { name: "a redirection alone runs no command but truncates a file", call: bash("ls; > important.txt"), allowed: ["Bash(ls:*)"], expected: "ask" },
  ]);
});

describe("Bash: wrappers and assignments are stripped", () => {
  decides([
    { name: "timeout 5 ls", call: bash("timeout 5 ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "timeout with its own flags", call: bash("timeout -s KILL --preserve-status 2.5m ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "timeout with an unknown flag is not stripped", call: bash("timeout --bogus 5 ls"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "FOO=1 ls", call: bash("FOO=1 ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "FOO=1 BAR=2 nice -n 5 ls -la", call: bash("FOO=1 BAR=2 nice -n 5 ls -la"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "wrappers in any order, repeatedly", call: bash("nohup time -p stdbuf -oL A=1 nice -5 ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "a quoted assignment is a command, not an assignment", call: bash('"FOO=1" ls'), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "bare xargs rm is denied by Bash(rm:*)", call: bash("find . -name '*.tmp' | xargs rm"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "bare xargs rm is allowed by Bash(find:*) and Bash(rm:*)", call: bash("find . -name '*.tmp' | xargs rm"), allowed: ["Bash(find:*)", "Bash(rm:*)"], expected: "allow" },
    // xargs with flags is not stripped for allow lists: Bash(rm:*) does not cover it...
    { name: "xargs -0 rm is not covered by Bash(rm:*)", call: bash("xargs -0 rm"), allowed: ["Bash(rm:*)"], expected: "ask" },
    // ...only Bash(xargs:*) does, which therefore allows whatever xargs runs...
    { name: "xargs -0 rm is covered by Bash(xargs:*)", call: bash("xargs -0 rm"), allowed: ["Bash(xargs:*)"], expected: "allow" },
    // ...while deny lists look through xargs and its options.
    { name: "xargs -0 rm is still denied by Bash(rm:*)", call: bash("xargs -0 rm"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "xargs -I {} rm {} is denied by Bash(rm:*)", call: bash("xargs -I {} rm {}"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "a deny on a wrapper still fires", call: bash("timeout 5 rm x"), denied: ["Bash(timeout:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "sudo / env do not dodge a deny", call: bash("sudo -u root env X=1 rm x"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "sh -c '...' does not dodge a deny", call: bash("bash -lc 'cd /; rm -rf x'"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "eval does not dodge a deny", call: bash("eval rm -rf x"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "setting a code-loading variable is not covered", call: bash("LD_PRELOAD=./evil.so ls"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "setting PATH in its own stage is not covered", call: bash("PATH=/tmp/evil; ls"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "a harmless assignment in its own stage is ignored", call: bash("DIR=src; ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
  ]);
});

describe("Bash: substitutions, subshells and groups fall to the mode", () => {
  decides([
    { name: "ls $(whoami): acceptEdits asks", call: bash("ls $(whoami)"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "ls $(whoami): bypassPermissions allows", call: bash("ls $(whoami)"), allowed: ["Bash(ls:*)"], mode: "bypassPermissions", expected: "allow" },
    { name: "ls `whoami`: acceptEdits asks", call: bash("ls `whoami`"), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "ls `whoami`: bypassPermissions allows", call: bash("ls `whoami`"), allowed: ["Bash(ls:*)"], mode: "bypassPermissions", expected: "allow" },
    { name: "$( inside double quotes still runs", call: bash('echo "$(id)"'), allowed: ["Bash(echo:*)", "Bash(id:*)"], expected: "ask" },
    { name: "$( inside single quotes is text", call: bash("echo '$(id)'"), allowed: ["Bash(echo:*)"], expected: "allow" },
    { name: "process substitution <(", call: bash("diff <(ls a) b"), allowed: ["Bash(diff:*)", "Bash(ls:*)"], expected: "ask" },
    { name: "process substitution >(", call: bash("ls > >(cat)"), allowed: ["Bash(ls:*)", "Bash(cat:*)"], expected: "ask" },
    { name: "(rm -rf /) subshell: not allowed by Bash(rm:*)", call: bash("(rm -rf /)"), allowed: ["Bash(rm:*)"], expected: "ask" },
    { name: "(rm -rf /) subshell: bypassPermissions allows", call: bash("(rm -rf /)"), mode: "bypassPermissions", expected: "allow" },
    { name: "{ rm x; } group: not allowed by Bash(rm:*)", call: bash("{ rm x; }"), allowed: ["Bash(rm:*)"], expected: "ask" },
    { name: "{ rm x; } group: bypassPermissions allows", call: bash("{ rm x; }"), mode: "bypassPermissions", expected: "allow" },
    // Deny is stricter than API.md's letter: it looks inside, so a wrapper cannot hide a denied command.
    { name: "(rm -rf /) is still denied by Bash(rm:*)", call: bash("(rm -rf /)"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "{ rm x; } is still denied by Bash(rm:*)", call: bash("{ rm x; }"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "ls $(rm x) is still denied by Bash(rm:*)", call: bash("ls $(rm x)"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "brace expansion can build a command", call: bash("echo {a,b}"), allowed: ["Bash(echo:*)"], expected: "ask" },
    { name: "${NAME} is a plain parameter", call: bash('ls "${HOME}"'), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "${x@P} can run code", call: bash("echo ${x@P}"), allowed: ["Bash(echo:*)"], expected: "ask" },
    { name: "a heredoc body is not read as commands to allow", call: bash("cat <<EOF\nrm -rf /\nEOF"), allowed: ["Bash(cat:*)", "Bash(rm:*)", "Bash(EOF:*)"], expected: "ask" },
  ]);
});

describe("Bash: lexing tricks do not hide a stage from the allow list", () => {
  decides([
    { name: "a quote inside a comment", call: bash("echo hi # it's\nrm -rf /"), allowed: ["Bash(echo:*)"], expected: "ask" },
    { name: "an escaped quote inside $'...'", call: bash("echo $'\\'' ; rm -rf /"), allowed: ["Bash(echo:*)"], expected: "ask" },
    { name: "an unterminated quote", call: bash("echo 'a; rm -rf /"), allowed: ["Bash(echo:*)"], expected: "ask" },
    { name: "an escaped quote inside double quotes", call: bash('echo "a\\"; rm -rf /"'), allowed: ["Bash(echo:*)"], expected: "allow" },
    { name: "a line continuation joins words", call: bash("ls \\\n-la"), allowed: ["Bash(ls -la:*)"], expected: "allow" },
    { name: "deep nesting stays opaque", call: bash("(".repeat(5000) + "ls" + ")".repeat(5000)), allowed: ["Bash(ls:*)"], expected: "ask" },
    // Padded command lines stay cheap to read (workerd freezes the clock, so the test timeout is the check).
    { name: "a huge argument list", call: bash("ls " + "a ".repeat(100_000)), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "thousands of wrappers before the command", call: bash("timeout 1 FOO=1 ".repeat(20_000) + "ls"), allowed: ["Bash(ls:*)"], expected: "allow" },
    { name: "too many wrappers to read for a deny list: it fires", call: bash("A=1 ".repeat(50_000) + "ls"), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
    { name: "a non-string command matches no prefix", call: tool("Bash", { command: 42 }), allowed: ["Bash(ls:*)"], expected: "ask" },
    { name: "a non-string command cannot be shown to be outside a deny", call: tool("Bash", {}), denied: ["Bash(rm:*)"], mode: "bypassPermissions", expected: "deny" },
  ]);
});

describe("tool and MCP patterns", () => {
  decides([
    { name: "bare tool name", call: tool("Read", { file_path: "/workspace/a" }), allowed: ["Read"], expected: "allow" },
    { name: "tool names are case-sensitive: Read does not allow read", call: tool("read"), allowed: ["Read"], expected: "ask" },
    { name: "tool names are case-sensitive: read does not allow Read", call: tool("Read"), allowed: ["read"], expected: "ask" },
    { name: "bare Bash allows every command, substitutions included", call: bash("curl x | sh $(id)"), allowed: ["Bash"], expected: "allow" },
    { name: "mcp__srv allows mcp__srv__tool", call: tool("mcp__srv__tool"), allowed: ["mcp__srv"], expected: "allow" },
    { name: "mcp__srv does not allow mcp__srv2__tool", call: tool("mcp__srv2__tool"), allowed: ["mcp__srv"], expected: "ask" },
    { name: "mcp__srv__tool allows exactly that tool", call: tool("mcp__srv__tool"), allowed: ["mcp__srv__tool"], expected: "allow" },
    { name: "mcp__srv__tool does not allow mcp__srv__other", call: tool("mcp__srv__other"), allowed: ["mcp__srv__tool"], expected: "ask" },
    { name: "mcp__srv__tool does not allow mcp__srv2__tool", call: tool("mcp__srv2__tool"), allowed: ["mcp__srv__tool"], expected: "ask" },
    { name: "mcp__srv denies every tool of srv", call: tool("mcp__srv__tool"), denied: ["mcp__srv"], mode: "bypassPermissions", expected: "deny" },
    { name: "mcp__srv does not deny srv2's tools", call: tool("mcp__srv2__tool"), denied: ["mcp__srv"], mode: "bypassPermissions", expected: "allow" },
    { name: "a malformed pattern matches nothing", call: bash("ls"), allowed: ["Bash(ls)"], expected: "ask" },
  ]);
});

describe("order: deny → allow → mode", () => {
  decides([
    { name: "deny wins over allow", call: tool("Read"), allowed: ["Read"], denied: ["Read"], expected: "deny" },
    { name: "deny wins over bypassPermissions", call: tool("WebFetch"), denied: ["WebFetch"], mode: "bypassPermissions", expected: "deny" },
    { name: "deny wins over acceptEdits' edits", call: tool("Write"), denied: ["Write"], expected: "deny" },
    { name: "bypassPermissions + deny Bash denies every command", call: bash("ls"), denied: ["Bash"], mode: "bypassPermissions", expected: "deny" },
    { name: "bypassPermissions + deny Bash denies opaque commands too", call: bash("ls $(whoami)"), denied: ["Bash"], mode: "bypassPermissions", expected: "deny" },
    { name: "deny Bash does not touch other tools", call: tool("Read"), denied: ["Bash"], mode: "bypassPermissions", expected: "allow" },
    { name: "bypassPermissions allows any tool", call: tool("SomeFutureTool"), mode: "bypassPermissions", expected: "allow" },
  ]);
});

describe("acceptEdits", () => {
  decides([
    ...["Write", "Edit", "MultiEdit", "NotebookEdit"].map(
      (name): DecisionCase => ({ name: `${name} is auto-approved`, call: tool(name, { file_path: "/workspace/a" }), expected: "allow" }),
    ),
    { name: "Bash asks", call: bash("ls"), expected: "ask" },
    { name: "Read off the allow list asks", call: tool("Read"), expected: "ask" },
    { name: "an MCP tool off the allow list asks", call: tool("mcp__srv__tool"), expected: "ask" },
  ]);
});

describe("plan mode is read-only, whatever the allow list says", () => {
  decides([
    { name: "Read runs", call: tool("Read"), mode: "plan", expected: "allow" },
    { name: "Grep runs", call: tool("Grep"), mode: "plan", expected: "allow" },
    { name: "ExitPlanMode runs", call: tool("ExitPlanMode", { plan: "..." }), mode: "plan", expected: "allow" },
    { name: "Write is refused", call: tool("Write"), mode: "plan", expected: "deny" },
    { name: "Write is refused even when allowed", call: tool("Write"), allowed: ["Write"], mode: "plan", expected: "deny" },
    { name: "Edit is refused", call: tool("Edit"), mode: "plan", expected: "deny" },
    { name: "Bash is refused", call: bash("ls"), mode: "plan", expected: "deny" },
    { name: "Bash is refused even when its prefix is allowed", call: bash("ls"), allowed: ["Bash(ls:*)"], mode: "plan", expected: "deny" },
    { name: "Bash is refused even when bare Bash is allowed", call: bash("ls"), allowed: ["Bash"], mode: "plan", expected: "deny" },
    { name: "MCP tools are refused even when allowed", call: tool("mcp__srv__tool"), allowed: ["mcp__srv"], mode: "plan", expected: "deny" },
    { name: "Task is refused", call: tool("Task"), mode: "plan", expected: "deny" },
    { name: "the deny list still applies to read-only tools", call: tool("WebFetch"), denied: ["WebFetch"], mode: "plan", expected: "deny" },
  ]);
});

describe("AskUserQuestion always asks unless denied", () => {
  const question = tool("AskUserQuestion", { questions: [] });
  decides([
    { name: "acceptEdits", call: question, expected: "ask" },
    { name: "plan", call: question, mode: "plan", expected: "ask" },
    { name: "bypassPermissions", call: question, mode: "bypassPermissions", expected: "ask" },
    { name: "even when allowed", call: question, allowed: ["AskUserQuestion"], mode: "bypassPermissions", expected: "ask" },
    { name: "denied", call: question, denied: ["AskUserQuestion"], mode: "bypassPermissions", expected: "deny" },
  ]);
});

describe("derivePattern", () => {
  it.each([
    { call: bash("git status && rm -rf /"), expected: "Bash(git:*)" },
    { call: bash("FOO=1 timeout 5 npm test"), expected: "Bash(npm:*)" },
    { call: bash("nice -n 5 ls -la"), expected: "Bash(ls:*)" },
    { call: bash("ls $(whoami)"), expected: "Bash(ls:*)" },
    { call: bash("xargs -0 rm"), expected: "Bash(xargs:*)" },
    { call: bash("./scripts/build.sh --fast"), expected: "Bash(./scripts/build.sh:*)" },
    // No safe prefix: the caller approves once rather than falling back to bare `Bash`.
    { call: bash("(rm -rf /)"), expected: null },
    { call: bash("$CMD x"), expected: null },
    { call: bash("'my tool' x"), expected: null },
    { call: bash(""), expected: null },
    { call: tool("Bash", {}), expected: null },
    { call: tool("Read"), expected: "Read" },
    { call: tool("WebFetch", { url: "https://example.com" }), expected: "WebFetch" },
    { call: tool("mcp__srv__tool"), expected: "mcp__srv__tool" },
  ])("$call.toolName $call.input → $expected", ({ call, expected }) => {
    const pattern = derivePattern(call);
    expect(pattern).toBe(expected);
    // A derived pattern approves the plain call it came from.
    if (pattern !== null && call.toolName !== "Bash") expect(matchesPattern(pattern, call)).toBe(true);
  });

  it("the derived Bash pattern covers the plain command it came from", () => {
    const call = bash("npm test -- --watch=false");
    expect(matchesPattern(derivePattern(call)!, call)).toBe(true);
  });
});

describe("matchesPattern: one pattern alone allows the call", () => {
  it.each([
    { pattern: "Bash(ls:*)", call: bash("ls -la"), expected: true },
    { pattern: "Bash(ls:*)", call: bash("ls && ls -a"), expected: true },
    { pattern: "Bash(ls:*)", call: bash("ls && rm x"), expected: false },
    { pattern: "Bash(ls:*)", call: bash("ls $(whoami)"), expected: false },
    { pattern: "Bash(ls:*)", call: tool("Read"), expected: false },
    { pattern: "Bash", call: bash("rm -rf / $(id)"), expected: true },
    { pattern: "Read", call: tool("Read"), expected: true },
    { pattern: "Read", call: tool("ReadX"), expected: false },
    { pattern: "mcp__srv", call: tool("mcp__srv__tool"), expected: true },
    { pattern: "mcp__srv", call: tool("mcp__srv2__tool"), expected: false },
    { pattern: "mcp__srv__tool", call: tool("mcp__srv__tool"), expected: true },
    { pattern: "mcp__srv__tool", call: tool("mcp__srv__tool2"), expected: false },
    { pattern: "Bash(ls)", call: bash("ls"), expected: false },
  ])("$pattern vs $call.toolName $call.input → $expected", ({ pattern, call, expected }) => {
    expect(matchesPattern(pattern, call)).toBe(expected);
  });
});
