// The local sandbox host: starts real runners (which start the real Claude Code against the
// scripted model server) that connect to a fake session DO.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxCreated, SandboxState } from "../../schemas/runner.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import { startSandboxHost, type SandboxHost } from "../../sandbox-host/server.ts";
import { workspaceMountAvailable } from "../../sandbox-host/workspace-mount.ts";
import { cleanupTempDirs, settingsFor, startFakePlatform, tempDir, type FakePlatform } from "./runner-harness.ts";

const HOST_TOKEN = "sandbox-host-token-test";
const RUNNER_TOKEN = "runner-token-sandbox-test";
const SECRET = "sk-ant-xyz-should-not-leak";

let model: ModelServer;
let host: SandboxHost;
let root: string;
const platforms: FakePlatform[] = [];

beforeAll(async () => {
  // The host's own environment holds a secret; no sandbox may see it.
  process.env["SECRET_SHOULD_NOT_LEAK"] = SECRET;
  model = await startModelServer();
  root = await tempDir("sandbox-root-");
  host = await startSandboxHost({ port: 0, token: HOST_TOKEN, root });
});
afterAll(async () => {
  delete process.env["SECRET_SHOULD_NOT_LEAK"];
  await host?.close();
  for (const p of platforms) await p.close();
  await model?.close();
  await cleanupTempDirs();
});

async function api(method: string, route: string, body?: unknown, token = HOST_TOKEN): Promise<{ status: number; json: any }> {
  const res = await fetch(`${host.url}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

function runnerEnv(sessionId: string, platform: FakePlatform): Record<string, string> {
  return {
    SESSION_ID: sessionId,
    PLATFORM_URL: platform.url,
    RUNNER_TOKEN,
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_AUTH_TOKEN: "gateway-token",
    CLAUDE_CODE_MAX_RETRIES: "0",
    HEARTBEAT_INTERVAL_MS: "500",
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends a prompt and waits for its turn to end (turn_state running, then idle). */
async function runTurn(platform: FakePlatform, promptId: string, text: string): Promise<void> {
  const from = platform.frames.length;
  platform.send({ type: "prompt", prompt_id: promptId, text });
  await platform.waitFor("turn end", () => {
    const start = platform.frames.findIndex((f, i) => i >= from && f.type === "turn_state" && f.state === "running");
    return start >= 0 && platform.frames.some((f, i) => i > start && f.type === "turn_state" && f.state === "idle");
  });
}

describe("sandbox host", () => {
  it("answers /healthz", async () => {
    const res = await fetch(`${host.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it("refuses requests without the right token", async () => {
    const body = { session_id: "sess_nope", env: {} };
    expect(await api("POST", "/sandboxes", body, "wrong")).toEqual({
      status: 401,
      json: { error: "unauthorized", message: expect.any(String) },
    });
    expect((await api("POST", "/sandboxes", body, "")).status).toBe(401);
    expect((await api("GET", "/sandboxes/sess_nope", undefined, "wrong")).status).toBe(401);
    expect((await api("DELETE", "/sandboxes/sess_nope", undefined, "wrong")).status).toBe(401);
    expect(existsSync(path.join(root, "sess_nope"))).toBe(false);
  });

  it("validates requests", async () => {
    expect((await api("POST", "/sandboxes", { session_id: "../etc", env: {} })).json.error).toBe("invalid_request");
    expect((await api("POST", "/sandboxes", { session_id: "ok", env: {}, extra: 1 })).json.error).toBe("invalid_request");
    expect((await api("POST", "/sandboxes", { session_id: "ok", env: { "BAD-NAME": "x" } })).status).toBe(400);
    expect((await api("POST", "/sandboxes", "{not json")).json.error).toBe("invalid_json");
    expect(await api("GET", "/sandboxes/unknown_session")).toMatchObject({ status: 404, json: { error: "sandbox_not_found" } });
    expect((await api("DELETE", "/sandboxes/unknown_session")).status).toBe(404);
    expect((await api("PUT", "/sandboxes/x")).status).toBe(405);
  });

  it("starts a runner that connects to its DO and sees none of the host's environment; DELETE stops everything", async () => {
    const sessionId = "sess_host_e2e";
    const platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    platforms.push(platform);

    const first = await api("POST", "/sandboxes", { session_id: sessionId, env: runnerEnv(sessionId, platform) });
    expect(first.status).toBe(201);
    const created = SandboxCreated.parse(first.json);
    expect(created).toEqual({
      session_id: sessionId,
      workspace_dir: path.join(root, sessionId, "workspace"),
      pid: expect.any(Number),
      running: true,
    });
    // Idempotent: the running sandbox is returned, not a second one.
    const again = await api("POST", "/sandboxes", { session_id: sessionId, env: runnerEnv(sessionId, platform) });
    expect(again).toEqual({ status: 200, json: created });

    await platform.waitFor("hello from the sandboxed runner", () => platform.frames.some((f) => f.type === "hello"));

    await runTurn(platform, "p1", '[[scenario:bash command="env > env.txt; sleep 300 > /dev/null 2>&1 & echo $! > bg.pid"]]');
    const env = readFileSync(path.join(created.workspace_dir, "env.txt"), "utf8");
    expect(env).not.toContain("SECRET_SHOULD_NOT_LEAK");
    expect(env).not.toContain(SECRET);
    expect(env).not.toContain(RUNNER_TOKEN);
    expect(env).toContain(`HOME=${path.join(root, sessionId, "home")}`);
    // The agent's workspace is /workspace, as in the container, wherever a private mount is
    // possible (root on Linux); elsewhere the real directory (workspace-mount.ts).
    expect(env).toContain(`WORKSPACE_DIR=${workspaceMountAvailable() ? "/workspace" : created.workspace_dir}`);
    expect(env).toContain("ANTHROPIC_AUTH_TOKEN=gateway-token");
    // No host variable with a distinctive value made it in. PATH is passed on purpose; the
    // agent's shell sets SHELL, PWD and friends itself.
    const ownedByShell = new Set(["PATH", "SHELL", "PWD", "OLDPWD", "SHLVL", "_"]);
    const hostVars = Object.entries(process.env).filter(([k, v]) => !ownedByShell.has(k) && v && v.length >= 6);
    const leaked = hostVars.filter(([k, v]) => env.includes(`\n${k}=${v}\n`) || env.startsWith(`${k}=${v}\n`));
    expect(leaked.map(([k]) => k)).toEqual([]);

    const state = SandboxState.parse((await api("GET", `/sandboxes/${sessionId}`)).json);
    expect(state).toEqual({ session_id: sessionId, running: true, exit_code: null, signal: null, workspace_dir: created.workspace_dir });

    const background = Number(readFileSync(path.join(created.workspace_dir, "bg.pid"), "utf8"));
    expect(alive(background)).toBe(true);
    expect(alive(created.pid)).toBe(true);

    expect(await api("DELETE", `/sandboxes/${sessionId}`)).toEqual({ status: 200, json: { stopped: true } });
    expect(alive(created.pid)).toBe(false);
    await waitUntil("the agent's background process to die", () => !alive(background), 2_000);
    const after = SandboxState.parse((await api("GET", `/sandboxes/${sessionId}`)).json);
    expect(after.running).toBe(false);
    expect(after.exit_code === 0 || after.signal !== null).toBe(true);
    expect(readFileSync(path.join(root, sessionId, "runner.log"), "utf8")).toContain("runner stopped");
  });

  it("a runner that dies takes its whole process group, Claude Code and the agent's tools with it", async () => {
    const sessionId = "sess_host_runner_dies";
    const platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    platforms.push(platform);
    const created = SandboxCreated.parse(
      (await api("POST", "/sandboxes", { session_id: sessionId, env: runnerEnv(sessionId, platform) })).json,
    );
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    await runTurn(platform, "p1", '[[scenario:bash command="echo started > started.txt; sleep 300 > /dev/null 2>&1 & echo $! > bg.pid"]]');
    const background = Number(readFileSync(path.join(created.workspace_dir, "bg.pid"), "utf8"));
    const claude = execFileSync("ps", ["-o", "pid=", "--ppid", String(created.pid)], { encoding: "utf8" })
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(claude).toHaveLength(1);
    expect(alive(background)).toBe(true);

    process.kill(created.pid, "SIGKILL");
    await waitUntil("the runner's process group to be empty", () => !alive(-created.pid));
    await waitUntil("Claude Code to die", () => !alive(claude[0]!));
    await waitUntil("the agent's background process to die", () => !alive(background));
    // How it died is on record for the platform and in the sandbox's log.
    expect((await api("GET", `/sandboxes/${sessionId}`)).json).toMatchObject({ running: false, exit_code: null, signal: "SIGKILL" });
    expect(readFileSync(path.join(root, sessionId, "runner.log"), "utf8")).toContain("sandbox host: the runner exited (signal SIGKILL)");
  });

  it("a stopped sandbox starts again in the same workspace", async () => {
    const sessionId = "sess_host_restart";
    const platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    platforms.push(platform);
    const first = SandboxCreated.parse(
      (await api("POST", "/sandboxes", { session_id: sessionId, env: runnerEnv(sessionId, platform) })).json,
    );
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    await runTurn(platform, "p1", '[[scenario:write path=keep.txt content="kept"]]');
    await api("DELETE", `/sandboxes/${sessionId}`);

    const second = await api("POST", "/sandboxes", { session_id: sessionId, env: runnerEnv(sessionId, platform) });
    expect(second.status).toBe(201);
    expect(second.json.pid).not.toBe(first.pid);
    expect(readFileSync(path.join(first.workspace_dir, "keep.txt"), "utf8")).toBe("kept");
    await api("DELETE", `/sandboxes/${sessionId}`);
  });

  it("close() stops every sandbox", async () => {
    const otherRoot = await tempDir("sandbox-root2-");
    const other = await startSandboxHost({ port: 0, token: HOST_TOKEN, root: otherRoot });
    const sessionId = "sess_host_close";
    const platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("default") });
    platforms.push(platform);
    const res = await fetch(`${other.url}/sandboxes`, {
      method: "POST",
      headers: { authorization: `Bearer ${HOST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ session_id: sessionId, env: runnerEnv(sessionId, platform) }),
    });
    const created = SandboxCreated.parse(await res.json());
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    await other.close();
    expect(alive(created.pid)).toBe(false);
  });
});
