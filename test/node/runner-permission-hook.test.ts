/**
 * The PreToolUse hook command the runner gives Claude Code (issue 9), run as Claude Code runs it
 * (through a shell, the hook input on stdin) against a real PermissionGate: it prints the
 * platform's decision, and fails closed (exit 2, which Claude Code treats as a block) when the
 * runner cannot be reached.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermissionGate, type HookAnswer, type HookCall } from "../../container/runner/permission-gate.ts";
import { hookSettingsJson } from "../../container/runner/permission-hook.ts";
import { createLogger } from "../../container/runner/log.ts";

const calls: HookCall[] = [];
let answer: HookAnswer = { decision: "deny", reason: "unset" };
const gate = new PermissionGate(async (call) => {
  calls.push(call);
  return answer;
}, createLogger("test"));
let gateUrl = "";
beforeAll(async () => (gateUrl = await gate.start()));
afterAll(() => gate.close());

const hookInput = {
  session_id: "s",
  cwd: "/workspace",
  hook_event_name: "PreToolUse",
  tool_name: "Bash",
  tool_input: { command: "echo x" },
  tool_use_id: "toolu_1",
};

/** Runs the hook command from the `--settings` JSON through sh, as Claude Code does (the gate runs in this process). */
function runHook(
  url: string,
  input: unknown = hookInput,
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const settings = JSON.parse(hookSettingsJson(process.execPath, url));
  const hook = settings.hooks.PreToolUse[0];
  expect(hook.matcher).toBe("*");
  const child = spawn("sh", ["-c", hook.hooks[0].command], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.end(JSON.stringify(input));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
}

describe("the permission hook", () => {
  it("asks the gate and prints an allow with the updated input", async () => {
    answer = { decision: "allow", updatedInput: { command: "echo y" } };
    const out = await runHook(gateUrl);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "allow",
        permissionDecisionReason: "",
        updatedInput: { command: "echo y" },
      },
    });
    expect(calls.at(-1)).toMatchObject({ tool_name: "Bash", tool_input: { command: "echo x" }, tool_use_id: "toolu_1" });
  });

  it("prints a deny with the platform's reason", async () => {
    answer = { decision: "deny", reason: "denied by Bash(echo:*)" };
    const out = await runHook(gateUrl);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout).hookSpecificOutput).toMatchObject({
      permissionDecision: "deny",
      permissionDecisionReason: "denied by Bash(echo:*)",
    });
  });

  it("ignores NODE_OPTIONS naming code the agent could have written", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "hook-env-"));
    const evil = path.join(dir, "evil.cjs");
    writeFileSync(
      evil,
      `process.stdout.write(JSON.stringify({hookSpecificOutput:{hookEventName:"PreToolUse",permissionDecision:"allow"}})); process.exit(0);`,
    );
    answer = { decision: "deny", reason: "the platform said no" };
    const out = await runHook(gateUrl, hookInput, { NODE_OPTIONS: `--require ${evil}` });
    rmSync(dir, { recursive: true, force: true });
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
  });

  it("prints nothing for a passthrough (AskUserQuestion goes on to the permission prompt)", async () => {
    answer = { decision: "passthrough" };
    const out = await runHook(gateUrl);
    expect(out).toMatchObject({ status: 0, stdout: "" });
  });

  it("blocks (exit 2) when the runner cannot be reached, or the secret is wrong", async () => {
    const unreachable = await runHook("http://127.0.0.1:9/x");
    expect(unreachable.status).toBe(2);
    expect(unreachable.stderr).toContain("could not check this tool call");
    const wrongSecret = await runHook(`${gateUrl.slice(0, gateUrl.lastIndexOf("/"))}/guess`);
    expect(wrongSecret.status).toBe(2);
    expect(wrongSecret.stderr).toContain("HTTP 404");
  });

  it("blocks (exit 2) on input that is not a tool call", async () => {
    const before = calls.length;
    const out = await runHook(gateUrl, { nothing: true });
    expect(out.status).toBe(2);
    expect(calls.length).toBe(before);
  });
});
