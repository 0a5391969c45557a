// A runner killed mid-turn takes its agent with it: the real runner, the real Claude Code, the
// scripted model server reachable without the runner (as an orphan would find a gateway).
import { execFileSync } from "node:child_process";
import { symlink } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import {
  cleanupTempDirs,
  settingsFor,
  startFakePlatform,
  startRunner,
  tempDir,
  type FakePlatform,
  type RunnerHandle,
} from "./runner-harness.ts";

const RUNNER_TOKEN = "runner-token-death-0123456789";
const sessionId = "sess_runner_death";

let model: ModelServer;
let platform: FakePlatform;
let runner: RunnerHandle;
const agentPids: number[] = [];

beforeAll(async () => {
  model = await startModelServer();
  platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
  runner = await startRunner({
    platformUrl: platform.url,
    sessionId,
    token: RUNNER_TOKEN,
    modelUrl: model.url,
    gatewayToken: "gw",
    direct: true,
  });
});
afterAll(async () => {
  // Only matters when the test failed: leave no orphan behind.
  for (const pid of agentPids) if (alive(pid)) process.kill(pid, "SIGKILL");
  await runner?.stop();
  await platform?.close();
  await model?.close();
  await cleanupTempDirs();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the direct children of `pid`. */
function childPids(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("runner killed mid-turn", () => {
  it("takes Claude Code with it, and the model hears nothing more", async () => {
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    // A 30 s answer: the turn is still streaming when the runner is killed.
    platform.send({ type: "prompt", prompt_id: "p1", text: "[[scenario:slow chunks=150 delay=200]]" });
    await platform.waitFor("the slow model call", () => model.requests.some((r) => r.scenario === "slow"), 30_000);
    const runnerPid = runner.child.pid!;
    // With setpriv, it execs Claude Code in place: the runner's child is Claude Code itself.
    const claude = childPids(runnerPid);
    expect(claude).toHaveLength(1);
    agentPids.push(...claude);
    const claudePid = claude[0]!;
    expect(execFileSync("ps", ["-o", "args=", "-p", String(claudePid)], { encoding: "utf8" })).toContain("claude");

    const requestsAtKill = model.requests.length;
    runner.child.kill("SIGKILL");
    await runner.exited;

    // The kernel kills it at once (parent-death signal); 5 s is generous, the stream lasts 30 s.
    await waitUntil("Claude Code to be gone", () => !alive(claudePid));
    // It is dead, so nothing more can come; at most one request was already in flight.
    expect(model.requests.length).toBeLessThanOrEqual(requestsAtKill + 1);
  }, 60_000);
});

describe("without setpriv", () => {
  it("Claude Code still starts, and the runner says once that it will not die with it", async () => {
    // A PATH with node alone: no setpriv (a minimal image), enough for a turn without tools.
    const bin = await tempDir("runner-death-path-");
    await symlink(process.execPath, path.join(bin, "node"));
    const id = "sess_runner_no_setpriv";
    const other = await startFakePlatform({ sessionId: id, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    const plain = await startRunner({
      platformUrl: other.url,
      sessionId: id,
      token: RUNNER_TOKEN,
      modelUrl: model.url,
      gatewayToken: "gw",
      extraEnv: { PATH: bin },
    });
    try {
      await other.waitFor("hello", () => other.frames.some((f) => f.type === "hello"));
      for (const n of [1, 2]) {
        other.send({ type: "prompt", prompt_id: `q${n}`, text: `[[scenario:text text="answer ${n}"]]` });
        await other.waitFor(
          `answer ${n}`,
          () =>
            other.frames.some((f) => f.type === "event" && f.event.type === "result" && JSON.stringify(f.event).includes(`answer ${n}`)),
          30_000,
        );
      }
      expect(plain.logs().split("setpriv --pdeathsig is unavailable")).toHaveLength(2);
    } finally {
      await plain.stop();
      await other.close();
    }
  }, 60_000);
});
