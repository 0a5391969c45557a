// The PreToolUse hook that puts every Claude Code tool call before the platform (issue 9).
// Claude Code runs it before each tool call, read-only ones included (which
// `--permission-prompt-tool` never sees); it asks the runner's PermissionGate on loopback, which
// asks the session's Durable Object exactly like a permission prompt. Its answer is the only
// authority: the hook says `allow` or `deny`, so Claude Code's own heuristics approve nothing.
//
// The script is inline (`node -e`), not a file: a file in the sandbox is one the agent might
// rewrite, while the command line lives in Claude Code's memory, loaded with `--settings` and
// `--setting-sources ""` so no settings file the agent can write adds or changes a hook.
//
// It fails closed: any error exits 2, which Claude Code treats as a block. Exit codes other than
// 0 and 2, and a hook timeout, would let the call go on to Claude Code's own checks, so the
// script gives up (and blocks) a minute before its timeout.

/** How long a hook may wait for a decision: a person may take a while to answer an approval. */
export const HOOK_TIMEOUT_SECONDS = 24 * 60 * 60;
/** The hook blocks the call this long before Claude Code's timeout would let it through. */
const HOOK_MARGIN_SECONDS = 60;

/**
 * The hook's code: reads the hook input on stdin, POSTs it to the gate URL (argv[1]), prints the
 * decision as PreToolUse output. Plain `http` (not fetch): fetch gives up on a response after
 * 5 minutes, and an approval may take longer. No single quotes: it is passed inside them.
 */
const SCRIPT = `
const http = require("http");
const url = new URL(process.argv[1]);
const fail = (why) => { process.stderr.write("the platform could not check this tool call: " + why); process.exit(2); };
setTimeout(() => fail("no decision in time"), ${(HOOK_TIMEOUT_SECONDS - HOOK_MARGIN_SECONDS) * 1000}).unref();
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("error", (e) => fail(e.message));
process.stdin.on("end", () => {
  const body = Buffer.concat(chunks);
  const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } }, (res) => {
    const parts = [];
    res.on("data", (c) => parts.push(c));
    res.on("error", (e) => fail(e.message));
    res.on("end", () => {
      if (res.statusCode !== 200) return fail("HTTP " + res.statusCode);
      let answer;
      try { answer = JSON.parse(Buffer.concat(parts).toString("utf8")); } catch (e) { return fail("bad answer"); }
      if (answer.decision === "passthrough") process.exit(0);
      const out = { hookEventName: "PreToolUse", permissionDecision: answer.decision === "allow" ? "allow" : "deny", permissionDecisionReason: String(answer.reason || "") };
      if (answer.decision === "allow" && answer.updatedInput) out.updatedInput = answer.updatedInput;
      process.stdout.write(JSON.stringify({ hookSpecificOutput: out }), () => process.exit(0));
    });
  });
  req.on("error", (e) => fail(e.message));
  req.end(body);
});
`;

/** Quotes `text` for a POSIX shell (Claude Code runs hook commands through one). */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Variables that would make the hook's node load other code: a profile's `environment` reaches
 * Claude Code and so the hook, and `NODE_OPTIONS=--require ./x.js` names a file the agent can write.
 */
const CODE_LOADING_VARIABLES = ["NODE_OPTIONS", "NODE_PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT"];

/** The `--settings` JSON: one PreToolUse hook for every tool (`*`), asking the gate at `gateUrl`. */
export function hookSettingsJson(nodeBin: string, gateUrl: string): string {
  const command = `unset ${CODE_LOADING_VARIABLES.join(" ")}; exec ${[nodeBin, "-e", SCRIPT, gateUrl].map(shellQuote).join(" ")}`;
  return JSON.stringify({
    hooks: { PreToolUse: [{ matcher: "*", hooks: [{ type: "command", command, timeout: HOOK_TIMEOUT_SECONDS }] }] },
  });
}
