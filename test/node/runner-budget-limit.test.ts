// The session's spending limit reaches Claude Code (`--max-budget-usd`) whatever became of the
// runner's probe of the CLI's flags: the real runner, the real Claude Code binary and the
// scripted model server, with a limit far below what one turn costs, so a turn that ran under
// it ends with `error_max_budget_usd`. A probe that cannot tell leaves the flag in: the limit
// holds, or a CLI that does not know it refuses to start and the turn does not run.
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AgentEventBody } from "../../schemas/events.ts";
import type { RunnerSettings } from "../../schemas/runner.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import {
  claudeBin,
  cleanupTempDirs,
  settingsFor,
  startFakePlatform,
  startRunner,
  tempDir,
  type FakePlatform,
  type RunnerHandle,
} from "./runner-harness.ts";

const RUNNER_TOKEN = "runner-token-budget-limit";
// Far below one scripted turn's cost (a few cents at the scripted usage).
const SETTINGS: RunnerSettings = { ...settingsFor("bypassPermissions"), max_budget_usd: 0.000001 };

let model: ModelServer;
let platform: FakePlatform | undefined;
let runner: RunnerHandle | undefined;

beforeAll(async () => {
  model = await startModelServer();
});
afterEach(async () => {
  await runner?.stop();
  await platform?.close();
  runner = undefined;
  platform = undefined;
});
afterAll(async () => {
  await model?.close();
  await cleanupTempDirs();
});

/** Starts a runner for a fresh session configured with SETTINGS. */
async function start(sessionId: string, options: { removedCwd?: boolean; bin?: string } = {}): Promise<FakePlatform> {
  platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: SETTINGS });
  runner = await startRunner({
    platformUrl: platform.url,
    sessionId,
    token: RUNNER_TOKEN,
    modelUrl: model.url,
    gatewayToken: "gateway-token-budget-limit",
    ...(options.removedCwd ? { removedCwd: true } : {}),
    ...(options.bin ? { extraEnv: { CLAUDE_BIN: options.bin } } : {}),
  });
  await platform.waitFor("hello", () => platform?.frames.some((f) => f.type === "hello"));
  return platform;
}

/** The result of the first turn, once it ended. */
async function firstResult(p: FakePlatform): Promise<Extract<AgentEventBody, { type: "result" }>["payload"]> {
  p.send({ type: "prompt", prompt_id: "p1", text: '[[scenario:bash command="echo spent"]]' });
  return p.waitFor(
    "the turn's result",
    () => {
      const result = p.frames.find((f) => f.type === "event" && f.event.type === "result");
      return result?.type === "event" && result.event.type === "result" && result.event.payload;
    },
    45_000,
  );
}

/** A stand-in for Claude Code whose `--help` fails; anything else runs `run` (a shell line, "$@" the arguments). */
async function claudeWhoseHelpFails(run: string): Promise<string> {
  const file = path.join(await tempDir("claude-wrapper-"), "claude");
  writeFileSync(file, `#!/bin/sh\nif [ "$1" = --help ]; then echo "help is broken" >&2; exit 1; fi\n${run}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("the session's spending limit", () => {
  it("holds for a runner whose working directory was removed (a warm one that took over a stopped session's)", async () => {
    const p = await start("sess_budget_removed_cwd", { removedCwd: true });
    expect(await firstResult(p)).toMatchObject({ success: false, subtype: "error_max_budget_usd" });
    expect(runner?.logs()).not.toContain("claude --help failed");
  });

  it("holds when the probe of the CLI's flags fails", async () => {
    const p = await start("sess_budget_probe_fails", { bin: await claudeWhoseHelpFails(`exec "${claudeBin}" "$@"`) });
    expect(await firstResult(p)).toMatchObject({ success: false, subtype: "error_max_budget_usd" });
  });

  it("or the turn does not run: a CLI without the flag, whose probe failed, refuses to start", async () => {
    const oldCli = await claudeWhoseHelpFails(
      `for a in "$@"; do if [ "$a" = --max-budget-usd ]; then echo "error: unknown option '--max-budget-usd'" >&2; exit 1; fi; done\nexec "${claudeBin}" "$@"`,
    );
    const p = await start("sess_budget_old_cli", { bin: oldCli });
    p.send({ type: "prompt", prompt_id: "p1", text: '[[scenario:bash command="echo spent"]]' });
    const exited = await p.waitFor("agent_exited", () => p.frames.find((f) => f.type === "agent_exited"));
    expect(exited).toMatchObject({ code: 1, error: "error: unknown option '--max-budget-usd'" });
    expect(p.frames.some((f) => f.type === "event" && (f.event.type === "assistant" || f.event.type === "result"))).toBe(false);
  });
});
