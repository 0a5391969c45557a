/**
 * The CLI against the real platform: non-interactive commands as child processes (exit codes,
 * --json documents), and `chat` in a real terminal (tmux) answering a tool approval at the prompt.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../../sdk/index.ts";
import { E2E_API_KEY, e2eToken, readyUser, startE2EPlatform, type E2EPlatform } from "./platform-harness.ts";
import { CLI, runCli, type CliRun } from "./cli-harness.ts";

/** A tmux server of this test file only, so nothing else's terminals are touched. */
const TMUX_SOCKET = `ai-sessions-cli-test-${process.pid}`;

let platform: E2EPlatform;

beforeAll(async () => {
  platform = await startE2EPlatform();
}, 120_000);

afterAll(async () => {
  spawnSync("tmux", ["-L", TMUX_SOCKET, "kill-server"]);
  await platform?.stop();
});

/** Runs the CLI to completion. */
function cli(token: string, args: string[], input?: string): Promise<CliRun> {
  return runCli(platform.baseUrl, token, args, input);
}

/** The screen of the test's tmux window. */
function screen(): string {
  return spawnSync("tmux", ["-L", TMUX_SOCKET, "capture-pane", "-p", "-J", "-S", "-", "-t", "chat"], { encoding: "utf8" }).stdout;
}

async function untilScreen(check: (text: string) => boolean, what: string, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (check(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function keys(...args: string[]): void {
  spawnSync("tmux", ["-L", TMUX_SOCKET, "send-keys", "-t", "chat", ...args]);
}

describe("non-interactive commands", () => {
  it("auth claude status before and after set-key; --json documents; exit codes", async () => {
    const token = await e2eToken();
    const before = await cli(token, ["auth", "claude", "status", "--json"]);
    expect(before.code).toBe(0);
    // The credential routes register the caller on the way (as the product's client expects).
    expect(JSON.parse(before.stdout)).toEqual({
      registered: true,
      has_credentials: false,
      credential_type: null,
      created_at: null,
      simulated_model: true,
    });
    expect((await cli(token, ["auth", "claude", "status"])).stdout).toContain("No Claude credential stored");

    const bad = await cli(token, ["auth", "claude", "set-key", "--json"], "not-a-key\n");
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: "invalid_request", status: 400 });

    const stored = await cli(token, ["auth", "claude", "set-key"], `${E2E_API_KEY}\n`);
    expect(stored).toMatchObject({ code: 0, stdout: "API key stored. Sessions now run with it.\n" });
    const after = await cli(token, ["--json", "auth", "claude", "status"]);
    expect(JSON.parse(after.stdout)).toMatchObject({ registered: true, has_credentials: true, credential_type: "api_key" });
    expect((await cli(token, ["auth", "claude", "status"])).stdout).toMatch(
      /^Claude credential: API key \(stored .+\)\nOffline demo: the model is simulated and accepts any key \(the stored one is a placeholder\); its answers and costs are invented\.\n$/,
    );

    const empty = await cli(token, ["sessions", "list", "--json"]);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual({ sessions: [], next_cursor: null });
    const created = JSON.parse(
      (await cli(token, ["sessions", "create", "--mode", "bypassPermissions", "--name", "from-cli", "--json"])).stdout,
    );
    const listed = JSON.parse((await cli(token, ["sessions", "list", "--json", "--status", "starting"])).stdout);
    const listedRunning = JSON.parse((await cli(token, ["sessions", "list", "--json", "--all"])).stdout);
    expect([...listed.sessions, ...listedRunning.sessions].map((s: { id: string }) => s.id)).toContain(created.session.id);
    expect(JSON.parse((await cli(token, ["sessions", "get", created.session.id, "--json"])).stdout)).toMatchObject({
      id: created.session.id,
      name: "from-cli",
    });
    expect(JSON.parse((await cli(token, ["sessions", "terminate", created.session.id, "--json"])).stdout)).toEqual({ terminated: true });
    const history = JSON.parse((await cli(token, ["sessions", "history", created.session.id, "--json"])).stdout);
    expect(history.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: history.messages.length }, (_, i) => i + 1));
    expect(history.messages.at(-1).type).toBe("session_end");

    expect((await cli(token, ["sessions", "list", "--bogus"])).code).toBe(2);
    expect((await cli(token, ["sessions", "get"])).code).toBe(2);
    expect((await cli(token, ["nonsense"])).code).toBe(2);
    const missing = await cli(token, ["sessions", "get", "no-such-session", "--json"]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: "not_found", status: 404 });
    expect(missing.stderr).toContain("error: session not found");
    expect((await cli("", ["sessions", "list"])).code).toBe(2);

    // OAuth: the URL is printed, the code read from stdin and submitted (this one is for another flow).
    const login = await cli(token, ["auth", "claude", "login"], "some-code#another-flows-state\n");
    expect(login.code).toBe(1);
    expect(login.stdout).toMatch(/Open this URL in a browser and authorize:\n\n {2}https:\/\/\S+state=/);
    expect(login.stderr).toContain("[oauth_state_mismatch]");

    expect(JSON.parse((await cli(token, ["auth", "claude", "logout", "--json"])).stdout)).toEqual({ deleted: true });
    expect(JSON.parse((await cli(token, ["auth", "claude", "status", "--json"])).stdout)).toMatchObject({ has_credentials: false });
  });

  it("session attach --json prints one event per line, read-only, until the session ends", async () => {
    const token = await readyUser(platform.baseUrl);
    const client = createClient({ baseUrl: platform.baseUrl, token });
    const session = await client.sessions.create({ permission_mode: "bypassPermissions" });
    const child = spawn(process.execPath, [CLI, "session", "attach", "--id", session.id, "--json"], {
      env: { ...process.env, AI_SESSIONS_URL: platform.baseUrl, AI_SESSIONS_TOKEN: token },
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const socket = client.connect(session.id);
    socket.prompt("[[scenario:text text=watched-from-the-cli]]");
    const deadline = Date.now() + 45_000;
    while (!out.includes('"type":"result"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await client.sessions.terminate(session.id);
    expect(await exited).toBe(0);
    socket.close();
    const frames = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const seqs = frames.map((f) => f.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(out).toContain("watched-from-the-cli");
    expect(frames.at(-1).type).toBe("session_end");
  });

  it("chat with piped input: an approval nothing is left to answer is shown, and the CLI exits 1 instead of waiting forever", async () => {
    const token = await readyUser(platform.baseUrl);
    // The default profile does not allow `date`: in acceptEdits the call waits for an approval.
    const run = await cli(token, ["chat"], '[[scenario:bash command="date"]]\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("Allow Bash(date)? [y]es / [n]o");
    expect(run.stdout).toContain("nothing here can answer it");
    expect(run.stdout).toMatch(/session attach --id \S+ --interactive/);
  });

  it("files upload and download move the same bytes in and out of the workspace", async () => {
    const token = await readyUser(platform.baseUrl);
    const client = createClient({ baseUrl: platform.baseUrl, token });
    const session = await client.sessions.create({ permission_mode: "bypassPermissions", initial_prompt: "[[scenario:text text=ready]]" });
    for (let i = 0; i < 200 && (await client.sessions.get(session.id)).usage.turns < 1; i++) await new Promise((r) => setTimeout(r, 200));
    const dir = mkdtempSync(path.join(os.tmpdir(), "cli-files-"));
    try {
      const local = path.join(dir, "evidence.bin");
      const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13) % 256));
      writeFileSync(local, bytes);
      const up = await cli(token, ["files", "upload", session.id, local, "--json"]);
      expect(up.code, up.stderr).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ success: true, path: "/workspace/uploads/evidence.bin", size: bytes.length });

      const down = await cli(token, ["files", "download", session.id, "uploads/evidence.bin", dir, "--json"]);
      expect(down.code, down.stderr).toBe(0);
      const target = path.join(dir, "evidence.bin");
      expect(JSON.parse(down.stdout)).toEqual({ remote: "uploads/evidence.bin", path: target, size: bytes.length });
      expect(Buffer.compare(readFileSync(target), bytes)).toBe(0);

      expect((await cli(token, ["files", "upload", session.id, path.join(dir, "missing.bin")])).code).toBe(2);
      const outside = await cli(token, ["files", "download", session.id, "/etc/passwd", dir]);
      expect(outside.code).toBe(1);
      expect(outside.stderr).toContain("[invalid_path]");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await client.sessions.terminate(session.id);
    }
  });
});

describe("chat in a real terminal", () => {
  it("answers a Bash approval with y at the prompt, shows the tool result and the final text; Ctrl+C interrupts, twice exits", async () => {
    const token = await readyUser(platform.baseUrl);
    const env = [`AI_SESSIONS_URL=${platform.baseUrl}`, `AI_SESSIONS_TOKEN=${token}`];
    const command = `'${process.execPath}' '${CLI}' chat --mode acceptEdits; echo "EXIT=$?"; sleep 600`;
    const started = spawnSync(
      "tmux",
      ["-L", TMUX_SOCKET, "new-session", "-d", "-s", "chat", "-x", "120", "-y", "40", ...env.flatMap((e) => ["-e", e]), command],
      { encoding: "utf8" },
    );
    expect(started.status, started.stderr).toBe(0);
    // The mode by its readable name, and the demo's model said to be simulated.
    const banner = await untilScreen((s) => /Session (\S+) · Accept edits/.test(s) && s.includes("\n> "), "the chat prompt");
    const sessionId = /Session (\S+) · Accept edits/.exec(banner)![1]!;
    expect(banner).toContain("simulated model (offline demo)");

    keys("-l", '[[scenario:bash command="touch cli-approved.txt && echo approved-in-terminal"]]');
    keys("Enter");
    await untilScreen(
      (s) => s.includes("Allow Bash(touch cli-approved.txt && echo approved-in-terminal)? [y]es / [n]o / [s]ession"),
      "the approval question",
    );
    expect(existsSync(path.join(platform.sandbox.root, sessionId, "workspace", "cli-approved.txt"))).toBe(false);
    keys("y", "Enter");
    const done = await untilScreen((s) => s.includes("✓ done"), "the end of the turn");
    expect(done).toContain("→ allowed");
    expect(done).toContain("⎿ approved-in-terminal");
    expect(done).toContain("Ran `touch cli-approved.txt && echo approved-in-terminal`");
    expect(existsSync(path.join(platform.sandbox.root, sessionId, "workspace", "cli-approved.txt"))).toBe(true);
    // The footer's cost is the session's, as `sessions get` shows it (issue 14: $0.2773 vs $0.3466), labelled simulated.
    const footer = /✓ done · \d+ turns? · (\$\d+\.\d{4}) \(simulated\)/.exec(done);
    expect(footer, done).not.toBeNull();
    const described = (await cli(token, ["sessions", "get", sessionId])).stdout;
    expect(described).toContain(`· ${footer![1]} (simulated`);
    expect(described).toMatch(/mode: +Accept edits \(/);

    // A question: numbered options, answered by number.
    keys("-l", '[[scenario:ask question="Which colour?" options="red|blue"]]');
    keys("Enter");
    await untilScreen((s) => s.includes("2) blue") && s.includes("Choose [1-2, or type an answer]:"), "the question");
    keys("2", "Enter");
    await untilScreen((s) => s.includes('"Which colour?"="blue"') && s.split("✓ done").length >= 3, "the answered question's turn");

    // A long turn, a prompt typed meanwhile (queued), then Ctrl+C: the turn stops, the queued prompt runs.
    keys("-l", "[[scenario:slow chunks=40 delay=250]]");
    keys("Enter");
    await untilScreen((s) => s.includes("… "), "the working prompt");
    keys("-l", "[[scenario:text text=queued-reply]]");
    keys("Enter");
    await untilScreen((s) => s.includes("(queued: runs when the agent is free)"), "the queued notice");
    keys("C-c");
    await untilScreen((s) => s.includes("Interrupting the turn"), "the interrupt notice");
    const after = await untilScreen((s) => s.includes("queued-reply") && s.split("✓ done").length >= 4, "the queued prompt's answer");
    expect(after).toContain("✗ turn ended");

    keys("C-c");
    keys("C-c");
    const exited = await untilScreen((s) => s.includes("EXIT="), "the CLI to exit");
    expect(exited).toContain("EXIT=0");
    expect(exited).toContain(`session attach --id ${sessionId} --interactive`);
  });
});
