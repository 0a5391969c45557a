// The sandbox host's warm pool (sandbox-host/warm-pool.ts) against the real host, runner and
// Claude Code: runners started ahead of demand hold nothing of any session, a session claims one
// (and gets its token the usual way, in a file), the pool refills, no runner serves two
// sessions, and stopping the host kills them all.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxCreated } from "../../schemas/runner.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import { SECRETS_DIR_NAME } from "../../sandbox-host/runner-secrets.ts";
import { startSandboxHost, type SandboxHost } from "../../sandbox-host/server.ts";
import { cleanupTempDirs, settingsFor, startFakePlatform, tempDir, type FakePlatform } from "./runner-harness.ts";
import { filesContaining, PROBE_PROMPT, readAncestors, runTurn } from "./runner-secrets-probe.ts";
import { SandboxPoolState } from "../../schemas/sandbox-pool.ts";

const HOST_TOKEN = "sandbox-host-token-warm";
const POOL_SIZE = 2;

let model: ModelServer;
let host: SandboxHost;
let root: string;
const platforms: FakePlatform[] = [];

beforeAll(async () => {
  model = await startModelServer();
  root = await tempDir("warm-root-");
  host = await startSandboxHost({ port: 0, token: HOST_TOKEN, root, warmSandboxes: POOL_SIZE });
});
afterAll(async () => {
  await host?.close();
  for (const p of platforms) await p.close();
  await model?.close();
  await cleanupTempDirs();
});

/** A runner process of this host's root waiting warm: its pid and its sandbox directory. */
type WarmRunner = { pid: number; dir: string };

/** The live warm runners of `sandboxRoot`, found as the sweep finds them: by their marker variable. */
function warmRunners(sandboxRoot = root): WarmRunner[] {
  const found: WarmRunner[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let environ: string[];
    let cmdline: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    const marker = environ.find((v) => v.startsWith(`AI_SESSIONS_SANDBOX=${path.join(sandboxRoot, ".warm-")}`));
    if (!marker || !cmdline.includes("container/runner/main.ts") || !environ.includes("RUNNER_WARM=1")) continue;
    // A claimed runner keeps its first environment, but its warm directory is gone (renamed).
    const dir = marker.slice(marker.indexOf("=") + 1);
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0];
    if (state !== "Z" && existsSync(dir)) found.push({ pid, dir });
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The host's own count of ready warm sandboxes (GET /pool). */
async function poolState(): Promise<SandboxPoolState> {
  const res = await fetch(`${host.url}/pool`, { headers: { authorization: `Bearer ${HOST_TOKEN}` } });
  return SandboxPoolState.parse(await res.json());
}

/** Waits until the pool holds `count` warm runners, and returns them. */
function poolOf(count: number, sandboxRoot = root): Promise<WarmRunner[]> {
  return waitUntil(`${count} warm runners`, () => {
    const runners = warmRunners(sandboxRoot);
    return runners.length === count && runners;
  });
}

async function create(sessionId: string, platform: FakePlatform, token: string): Promise<{ status: number; created: SandboxCreated }> {
  const res = await fetch(`${host.url}/sandboxes`, {
    method: "POST",
    headers: { authorization: `Bearer ${HOST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      session_id: sessionId,
      env: {
        SESSION_ID: sessionId,
        PLATFORM_URL: platform.url,
        RUNNER_TOKEN: token,
        GATEWAY_URL: model.url,
        GATEWAY_TOKEN: `${token}-gateway`,
        CLAUDE_CODE_MAX_RETRIES: "0",
        HEARTBEAT_INTERVAL_MS: "500",
      },
    }),
  });
  return { status: res.status, created: SandboxCreated.parse(await res.json()) };
}

async function platformFor(sessionId: string, token: string): Promise<FakePlatform> {
  const platform = await startFakePlatform({ sessionId, token, settings: settingsFor("bypassPermissions") });
  platforms.push(platform);
  return platform;
}

async function stop(sessionId: string): Promise<void> {
  await fetch(`${host.url}/sandboxes/${sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${HOST_TOKEN}` } });
}

describe("warm pool", () => {
  it("keeps started runners that hold no session, token or workspace, and that the API cannot reach", async () => {
    const warm = await poolOf(POOL_SIZE);
    for (const runner of warm) {
      const environ = readFileSync(`/proc/${runner.pid}/environ`, "utf8").split("\0");
      const names = environ.map((v) => v.slice(0, v.indexOf("=")));
      for (const name of ["SESSION_ID", "PLATFORM_URL", "GATEWAY_URL", "RUNNER_TOKEN", "GATEWAY_TOKEN", "RUNNER_SECRETS_FILE"]) {
        expect(names).not.toContain(name);
      }
      expect(readdirSync(path.join(runner.dir, "workspace"))).toEqual([]);
      const name = path.basename(runner.dir);
      const answer = await fetch(`${host.url}/sandboxes/${name}`, { headers: { authorization: `Bearer ${HOST_TOKEN}` } });
      expect(answer.status).toBe(400);
    }
    // No secrets file waits for anyone.
    expect(readdirSync(root).includes(SECRETS_DIR_NAME) ? readdirSync(path.join(root, SECRETS_DIR_NAME)) : []).toEqual([]);
  });

  it("a session claims a warm runner, which gets its token from a file only, and the pool refills", async () => {
    const warm = await poolOf(POOL_SIZE);
    const sessionId = "sess_warm_claim";
    const token = "runner-token-warm-claim-5d1e77";
    const platform = await platformFor(sessionId, token);

    const { status, created } = await create(sessionId, platform, token);
    expect(status).toBe(201);
    // One of the waiting runners, now in the session's own directory.
    expect(warm.map((r) => r.pid)).toContain(created.pid);
    expect(created.workspace_dir).toBe(path.join(root, sessionId, "workspace"));
    // The fake DO accepts only this session's token: a hello means the claim delivered it.
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    expect(platform.rejectedUpgrades).toBe(0);
    expect(readdirSync(path.join(root, SECRETS_DIR_NAME))).toEqual([]);

    // The pool is full again, without the claimed runner.
    const refilled = await poolOf(POOL_SIZE);
    expect(refilled.map((r) => r.pid)).not.toContain(created.pid);

    // The hostile agent's search finds neither token anywhere, its ancestors' environments included.
    await runTurn(platform, "probe", PROBE_PROMPT);
    const ancestors = readAncestors(created.workspace_dir);
    expect(ancestors.at(-1)!.pid).toBe(created.pid);
    const env = readFileSync(path.join(created.workspace_dir, "env.txt"), "utf8");
    expect(env).toContain(`HOME=${path.join(root, sessionId, "home")}`);
    for (const secret of [token, `${token}-gateway`]) {
      for (const ancestor of ancestors) expect(ancestor.environ).not.toContain(secret);
      expect(await filesContaining(root, secret)).toEqual([]);
    }
    expect(model.requests.at(-1)?.apiKey).toBe(`${token}-gateway`);
    await stop(sessionId);
    expect(alive(created.pid)).toBe(false);
  });

  it("never gives one runner to two sessions: concurrent creates beyond the pool start cold", async () => {
    await poolOf(POOL_SIZE);
    const sessions = ["sess_warm_a", "sess_warm_b", "sess_warm_c"];
    const started = await Promise.all(
      sessions.map(async (sessionId) => {
        const token = `runner-token-${sessionId}`;
        const platform = await platformFor(sessionId, token);
        const { created } = await create(sessionId, platform, token);
        await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
        expect(platform.rejectedUpgrades).toBe(0);
        return { sessionId, platform, created };
      }),
    );
    expect(new Set(started.map((s) => s.created.pid)).size).toBe(sessions.length);
    // Each works in its own workspace: what one writes, no other sees.
    await Promise.all(started.map((s) => runTurn(s.platform, "write", `[[scenario:write path=owner.txt content="${s.sessionId}"]]`)));
    for (const s of started) expect(readFileSync(path.join(s.created.workspace_dir, "owner.txt"), "utf8")).toBe(s.sessionId);
    for (const s of started) await stop(s.sessionId);
  });

  it("replaces a warm runner that died unclaimed", async () => {
    const [victim] = await poolOf(POOL_SIZE);
    process.kill(victim!.pid, "SIGKILL");
    const replaced = await waitUntil("a replacement", () => {
      const runners = warmRunners();
      return runners.length === POOL_SIZE && !runners.some((r) => r.pid === victim!.pid) && runners;
    });
    expect(replaced).toHaveLength(POOL_SIZE);
    // The dead one's directory went with it.
    await waitUntil("the dead runner's directory to go", () => !readdirSync(root).includes(path.basename(victim!.dir)));
  });

  it("close() kills every warm runner and removes their directories", async () => {
    const otherRoot = await tempDir("warm-root-close-");
    const other = await startSandboxHost({ port: 0, token: HOST_TOKEN, root: otherRoot, warmSandboxes: 1 });
    const [runner] = await poolOf(1, otherRoot);
    await other.close();
    expect(alive(runner!.pid)).toBe(false);
    expect(readdirSync(otherRoot).filter((name) => name.startsWith(".warm-"))).toEqual([]);
  });

  it("a stopped session started again gets a warm runner, which takes over its files and log", async () => {
    await poolOf(POOL_SIZE);
    const sessionId = "sess_warm_again";
    const token = "runner-token-warm-again";
    const platform = await platformFor(sessionId, token);
    const first = await create(sessionId, platform, token);
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    await runTurn(platform, "p1", '[[scenario:write path=kept.txt content="from the first run"]]');
    await stop(sessionId);
    expect(readFileSync(path.join(root, sessionId, "runner.log"), "utf8")).toContain("runner stopped");

    const warm = await poolOf(POOL_SIZE);
    const hellos = platform.frames.filter((f) => f.type === "hello").length;
    const again = await create(sessionId, platform, token);
    expect(again.status).toBe(201);
    expect(warm.map((r) => r.pid)).toContain(again.created.pid);
    expect(again.created.workspace_dir).toBe(first.created.workspace_dir);
    // Its working directory is the session's workspace, not the warm directory the claim removed
    // (what it starts from there, Claude Code's probe of its flags once did, would fail).
    expect(readlinkSync(`/proc/${again.created.pid}/cwd`)).toBe(realpathSync(again.created.workspace_dir));
    await platform.waitFor("a second hello", () => platform.frames.filter((f) => f.type === "hello").length > hellos);
    // The agent finds the first run's file in its workspace.
    await runTurn(platform, "p2", '[[scenario:bash command="cat kept.txt > seen.txt"]]');
    expect(readFileSync(path.join(again.created.workspace_dir, "seen.txt"), "utf8")).toBe("from the first run");
    const log = readFileSync(path.join(root, sessionId, "runner.log"), "utf8");
    expect(log).toContain("runner stopped");
    expect(log.indexOf("runner stopped")).toBeLessThan(log.lastIndexOf("runner starting"));
    await stop(sessionId);
  });

  it("a link left in place of a stopped session's workspace is removed, not followed", async () => {
    await poolOf(POOL_SIZE);
    const sessionId = "sess_warm_link";
    const outside = await tempDir("warm-outside-");
    writeFileSync(path.join(outside, "host-file.txt"), "not the sandbox's");
    mkdirSync(path.join(root, sessionId));
    symlinkSync(outside, path.join(root, sessionId, "workspace"));
    const token = "runner-token-warm-link";
    const platform = await platformFor(sessionId, token);
    const { created } = await create(sessionId, platform, token);
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    expect(lstatSync(created.workspace_dir).isDirectory()).toBe(true);
    expect(readdirSync(created.workspace_dir)).toEqual([]);
    expect(readdirSync(outside)).toEqual(["host-file.txt"]);
    await stop(sessionId);
  });

  it("no other process can hand a waiting runner a claim of its own through /proc", async () => {
    // Every runner started and probed first: the replacement for the last test's claim may still
    // be starting, and one that fails its start is replaced, which would read as a changed pool.
    await waitUntil("a full pool of ready runners", async () => (await poolState()).ready === POOL_SIZE);
    const warm = await poolOf(POOL_SIZE);
    // An agent (the same user, in the local host) trying to write to a runner's stdin: it is a
    // socket, which /proc/<pid>/fd/0 does not open.
    for (const runner of warm) {
      let code: string | undefined;
      try {
        writeFileSync(`/proc/${runner.pid}/fd/0`, `${JSON.stringify({ env: { SESSION_ID: "sess_not_yours" } })}\n`);
      } catch (error) {
        code = (error as NodeJS.ErrnoException).code;
      }
      expect(code).toBe("ENXIO");
      expect(alive(runner.pid)).toBe(true);
    }
    expect(
      warmRunners()
        .map((r) => r.pid)
        .sort(),
    ).toEqual(warm.map((r) => r.pid).sort());
  });
});
