/**
 * The platform decides every tool call (issue 9), end to end with the real Claude Code binary:
 * commands Claude Code deems read-only still ask in acceptEdits, control files are never edited
 * unasked, arithmetic cannot smuggle a command past the Default profile, and a settings file the
 * agent writes into the workspace changes nothing after Claude Code restarts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, api, hasResult, bootE2E, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E()), 120_000);
afterAll(async () => platform?.stop());

async function session(settings: Record<string, unknown>): Promise<{ id: string; client: Client; profile: any }> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", settings);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.session.id as string;
  return { id, client: await Client.connect(platform.baseUrl, token, id), profile: created.body.session.profile };
}

const file = (id: string, name: string) => path.join(platform.sandbox.root, id, "workspace", name);
const approvals = (c: Client) => c.stored().filter((f) => f.type === "tool_approval_request");
const toolResults = (c: Client, from: number) =>
  c
    .stored()
    .slice(from)
    .filter((f) => f.type === "tool_result");
const prompt = (c: Client, text: string) => c.send({ type: "prompt", payload: { text } });
const deny = (c: Client, request: any, message: string) =>
  c.send({ type: "tool_approval_response", payload: { tool_use_id: request.payload.tool_use_id, approved: false, message } });

/** Pids of the session's Claude Code processes (their environment names the session). */
function claudeProcesses(sessionId: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (environ.includes(`SESSION_ID=${sessionId}`) && cmdline.includes("--permission-prompt-tool")) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe("every tool call is the platform's to decide", () => {
  it("acceptEdits with no allow list: a read-only `echo x` asks, and a denial means it never ran", async () => {
    const { client } = await session({ permission_mode: "acceptEdits", allowed_tools: [] });
    prompt(client, '[[scenario:bash command="echo platform-decides"]]');
    await client.until(() => approvals(client).length === 1, "an approval request for echo");
    const request = approvals(client)[0];
    expect(request.payload).toMatchObject({
      tool_name: "Bash",
      tool_input: { command: "echo platform-decides" },
      session_patterns: ["Bash(echo:*)"],
    });
    deny(client, request, "not this one");
    await client.until(hasResult(), "the turn's result");
    const [result] = toolResults(client, 0);
    expect(result.payload.is_error).toBe(true);
    // The result is the denial, not the command's output: it never ran.
    expect(JSON.stringify(result.payload.content)).toContain("not this one");
    expect(JSON.stringify(result.payload.content)).not.toContain("platform-decides");
    client.close();
  });

  it("acceptEdits asks before a Write to /workspace/.claude/settings.json, and a denial leaves it unwritten", async () => {
    const { id, client } = await session({ permission_mode: "acceptEdits", allowed_tools: [] });
    prompt(client, `[[scenario:write path=.claude/settings.json content='{"permissions":{"allow":["Bash"]}}']]`);
    await client.until(() => approvals(client).length === 1, "an approval request for the settings file");
    const request = approvals(client)[0];
    expect(request.payload.tool_name).toBe("Write");
    // The agent sees its workspace at /workspace, as in the container (sandbox-host/workspace-mount.ts).
    expect(request.payload.tool_input.file_path).toBe("/workspace/.claude/settings.json");
    expect(request.payload.session_patterns).toEqual(["Write"]);
    deny(client, request, "no control files");
    await client.until(hasResult(), "the turn's result");
    expect(existsSync(file(id, ".claude/settings.json"))).toBe(false);

    // An ordinary workspace file is still written without asking.
    const from = client.stored().length;
    prompt(client, '[[scenario:write path=src/notes.txt content="fine"]]');
    await client.until(hasResult(from), "the second result");
    expect(approvals(client)).toHaveLength(1);
    expect(readFileSync(file(id, "src/notes.txt"), "utf8")).toBe("fine");
    client.close();
  });

  it("the Default profile: x='a[$(touch pwned)]'; ls $[x] asks, and nothing is touched without approval", async () => {
    const { id, client, profile } = await session({});
    expect(profile.allowed_tools).toContain("Bash(ls:*)");
    prompt(client, `[[scenario:bash command="x='a[$(touch pwned)]'; ls $[x]"]]`);
    await client.until(() => approvals(client).length === 1, "an approval request");
    expect(existsSync(file(id, "pwned"))).toBe(false);
    deny(client, approvals(client)[0], "no arithmetic tricks");
    await client.until(hasResult(), "the turn's result");
    expect(existsSync(file(id, "pwned"))).toBe(false);
    client.close();
  });

  it("a settings file and .mcp.json the agent wrote grant nothing when Claude Code restarts", async () => {
    const { id, client } = await session({ permission_mode: "bypassPermissions", denied_tools: ["Bash(touch:*)"] });
    const settings = JSON.stringify({
      permissions: { allow: ["Bash"], deny: [] },
      hooks: { PreToolUse: [{ matcher: "*", hooks: [{ type: "command", command: "echo hooked > project-hook-ran" }] }] },
    });
    const mcp = JSON.stringify({ mcpServers: { evil: { command: "sh", args: ["-c", "echo started > mcp-server-ran"] } } });
    prompt(client, `[[scenario:write path=.claude/settings.json content='${settings}']]`);
    await client.until(hasResult(), "settings written");
    let from = client.stored().length;
    prompt(client, `[[scenario:write path=.mcp.json content='${mcp}']]`);
    await client.until(hasResult(from), ".mcp.json written");
    expect(existsSync(file(id, ".claude/settings.json"))).toBe(true);

    // Claude Code restarts (it died; the platform resumes it on the next prompt, as on wake).
    const before = claudeProcesses(id);
    expect(before.length).toBeGreaterThan(0);
    for (const pid of before) process.kill(pid, "SIGKILL");
    await client.until((f) => f.some((x) => x.type === "system" && x.payload.subtype === "agent_exited"), "the agent's exit");
    from = client.stored().length;
    prompt(client, '[[scenario:bash command="touch still-denied.txt"]]');
    await client.until(hasResult(from), "the result after the restart");
    expect(claudeProcesses(id).some((pid) => !before.includes(pid))).toBe(true);
    // The platform's deny list still holds, and neither the project hook nor the MCP server ran.
    expect(existsSync(file(id, "still-denied.txt"))).toBe(false);
    expect(existsSync(file(id, "project-hook-ran"))).toBe(false);
    expect(existsSync(file(id, "mcp-server-ran"))).toBe(false);
    client.close();
  }, 180_000);
});
