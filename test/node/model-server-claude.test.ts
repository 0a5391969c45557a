// The real Claude Code CLI running full tool loops against the scripted model server.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { countInputTokens } from "../../model-server/message.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";

const root = path.resolve(import.meta.dirname, "../..");
const claudeBin = path.join(root, "node_modules/.bin/claude");

/** One line of Claude Code's stream-json output (only the fields these tests read). */
type StreamLine = {
  type: string;
  subtype?: string;
  is_error?: boolean;
  result?: string;
  num_turns?: number;
  usage?: { input_tokens: number; output_tokens: number };
  request_id?: string;
  request?: { subtype: string; tool_name?: string; input?: Record<string, unknown> };
  message?: { content: Array<{ type: string; name?: string; text?: string }> };
};

type RunOptions = {
  /** Prompts; more than one uses `--input-format stream-json` in a single process. */
  prompts: string[];
  cwd: string;
  extraArgs?: string[];
  /** Answers `control_request`s (with `--permission-prompt-tool stdio`). */
  onControlRequest?: (line: StreamLine) => unknown;
};

let server: ModelServer;
const tempDirs: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Runs `claude -p` against the server and collects its stream-json lines. */
async function runClaude(opts: RunOptions): Promise<{ lines: StreamLine[]; code: number | null; stderr: string }> {
  const home = await tempDir("ms-home-");
  const streamInput = opts.prompts.length > 1 || opts.onControlRequest !== undefined;
  const args = ["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions", ...(opts.extraArgs ?? [])];
  if (streamInput) args.push("--input-format", "stream-json");
  else args.push(opts.prompts[0]!);

  const child = spawn(claudeBin, args, {
    cwd: opts.cwd,
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
      IS_SANDBOX: "1", // we run as root; bypassPermissions refuses root otherwise
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: "test-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
    },
  });
  const pending = [...opts.prompts];
  const sendNext = (): void => {
    const prompt = pending.shift();
    if (prompt === undefined) child.stdin.end();
    else child.stdin.write(JSON.stringify({ type: "user", message: { role: "user", content: prompt } }) + "\n");
  };
  if (streamInput) sendNext();
  else child.stdin.end();

  const lines: StreamLine[] = [];
  let stderr = "";
  let buffer = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = JSON.parse(buffer.slice(0, nl)) as StreamLine;
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (line.type === "control_request" && opts.onControlRequest) {
        const response = { subtype: "success", request_id: line.request_id, response: opts.onControlRequest(line) };
        child.stdin.write(JSON.stringify({ type: "control_response", response }) + "\n");
      }
      // Each turn ends with its own result; only then does the next prompt go in.
      if (line.type === "result" && streamInput) sendNext();
    }
  });
  // Bound every run below the test timeout, so a hang fails the test instead of leaking a process.
  const killer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(killer);
  return { lines, code, stderr };
}

const results = (lines: StreamLine[]) => lines.filter((l) => l.type === "result");
const toolUses = (lines: StreamLine[]) =>
  lines.flatMap((l) => (l.type === "assistant" ? (l.message?.content ?? []).filter((b) => b.type === "tool_use") : []));

beforeAll(async () => {
  expect(existsSync(claudeBin), "npm install must provide node_modules/.bin/claude").toBe(true);
  server = await startModelServer();
});
afterEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("Claude Code against the model server", () => {
  it("writes a file with a relative path resolved against its cwd", async () => {
    const cwd = await tempDir("ms-cwd-");
    const { lines, code, stderr } = await runClaude({ cwd, prompts: ['please [[scenario:write path=hello.txt content="hi there"]]'] });

    expect(code, stderr).toBe(0);
    expect(await readFile(path.join(cwd, "hello.txt"), "utf8")).toBe("hi there");
    expect(toolUses(lines).map((b) => b.name)).toEqual(["Write"]);
    const result = lines.at(-1);
    expect(result).toMatchObject({ type: "result", subtype: "success", is_error: false, num_turns: 2 });
    expect(result?.result).toContain(path.join(cwd, "hello.txt"));

    // Cost accounting: Claude Code's totals are exactly the sums the server reported.
    const calls = server.requests.filter((r) => r.scenario === "write");
    expect(calls).toHaveLength(2);
    expect(calls.every((r) => r.apiKey === "test-key" && r.url === "/v1/messages?beta=true")).toBe(true);
    expect(result?.usage?.input_tokens).toBe(calls.reduce((sum, r) => sum + countInputTokens(r.body!), 0));
    expect(result?.usage?.output_tokens).toBe(calls.reduce((sum, r) => sum + r.usage!.output_tokens, 0));
  });

  it("runs a bash command that creates a file and quotes its output", async () => {
    const cwd = await tempDir("ms-cwd-");
    const { lines } = await runClaude({
      cwd,
      prompts: ['[[scenario:bash command="echo created > made.txt && echo bash-said-hi"]]'],
    });

    expect(await readFile(path.join(cwd, "made.txt"), "utf8")).toBe("created\n");
    expect(toolUses(lines).map((b) => b.name)).toEqual(["Bash"]);
    expect(lines.at(-1)).toMatchObject({ type: "result", is_error: false });
    expect(lines.at(-1)?.result).toContain("bash-said-hi");
  });

  it("recalls every prompt of a two-turn conversation held in one process", async () => {
    const cwd = await tempDir("ms-cwd-");
    const { lines, code } = await runClaude({
      cwd,
      prompts: ['my name is Ada [[scenario:text text="noted"]]', "what did I say? [[scenario:recall]]"],
    });

    expect(code).toBe(0);
    const [first, second] = results(lines);
    expect(first).toMatchObject({ is_error: false, result: "noted" });
    expect(second?.result).toBe('Prompts so far: 1) my name is Ada [[scenario:text text="noted"]] 2) what did I say? [[scenario:recall]]');
  });

  it("reports a server error as a result with is_error", async () => {
    const cwd = await tempDir("ms-cwd-");
    const { lines } = await runClaude({ cwd, prompts: ['[[scenario:error status=500 message="scripted failure"]]'] });

    const result = lines.at(-1);
    expect(result).toMatchObject({ type: "result", is_error: true });
    expect(result?.result).toContain("scripted failure");
  });

  it("runs the demo for a prompt without a directive", async () => {
    const cwd = await tempDir("ms-cwd-");
    const { lines } = await runClaude({ cwd, prompts: ["Hi! What can you do?"] });

    expect(toolUses(lines).map((b) => b.name)).toEqual(["Bash", "Write"]);
    expect(await readFile(path.join(cwd, "report.md"), "utf8")).toContain("# Workspace report");
    expect(lines.at(-1)).toMatchObject({ type: "result", is_error: false, num_turns: 3 });
    expect(lines.at(-1)?.result).toContain("Demo complete");
  });

  it("asks a question through AskUserQuestion and quotes the answer", async () => {
    const cwd = await tempDir("ms-cwd-");
    const asked: StreamLine[] = [];
    const { lines } = await runClaude({
      cwd,
      prompts: ['[[scenario:ask question="Tabs or spaces?" options="tabs|spaces"]]'],
      // AskUserQuestion is only offered when a permission prompt tool can carry the answer.
      extraArgs: ["--permission-prompt-tool", "stdio"],
      onControlRequest: (line) => {
        asked.push(line);
        return { behavior: "allow", updatedInput: { ...line.request?.input, answers: { "Tabs or spaces?": "spaces" } } };
      },
    });

    expect(asked.map((l) => l.request?.tool_name)).toEqual(["AskUserQuestion"]);
    expect(lines.at(-1)).toMatchObject({ type: "result", is_error: false });
    expect(lines.at(-1)?.result).toContain('"Tabs or spaces?"="spaces"');
  });
});
