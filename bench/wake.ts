/**
 * Wake from dormancy: a session with a 50 MB workspace goes dormant (IDLE_HIBERNATE_SECONDS set
 * small through the Worker's vars: workspace and conversation archived to R2, runner stopped),
 * then a prompt wakes it; timed from sending that prompt to the first assistant event of the
 * resumed turn, the median of a few wakes of the same session (each after it slept again).
 * Baseline: the platform's cold start of this run (create → first assistant).
 * As in the hibernation e2e test, the stopped sandbox's directories are wiped before waking, so
 * the workspace comes back from the archive as it would in a fresh container.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type LocalPlatform, startLocalPlatform } from "../scripts/local-platform.ts";
import { Client, hasResult } from "../test/node/e2e/platform-harness.ts";
import { coldStartOfThisRun } from "./cold-start.ts";
import { createSession, POOL_REFILL_PAUSE_MS, readyUser, RUNTIME, RUNTIME_LABEL, vars } from "./platform.ts";
import { PROMPT } from "./prompt-latency.ts";
import { figure } from "./results.ts";
import type { Section } from "./sections.ts";
import { quantile, sleep } from "./stats.ts";

/** Workspace size before the session sleeps (random bytes: archives cannot shrink it). */
const WORKSPACE_MB = 50;
/** Idle seconds before the session goes dormant. */
const IDLE_SECONDS = "3";

/** Wakes measured (of one session, each after it went dormant again); the figure is their median. */
const SAMPLES = 3;

/** Ms from each waking prompt to the first assistant event of the resumed turn. */
async function measureWakes(): Promise<number[]> {
  const platform = await startLocalPlatform({
    vars: { ...vars, IDLE_HIBERNATE_SECONDS: IDLE_SECONDS },
    runtime: RUNTIME,
    scriptedModel: true,
  });
  try {
    const token = await readyUser(platform.baseUrl);
    const id = await createSession(platform.baseUrl, token);
    const workspace = path.join(platform.sandbox.root, id, "workspace");
    const client = await Client.connect(platform.baseUrl, token, id);
    await client.until((f) => f.some((x) => x.type === "history"), "history");
    for (let i = 0; !existsSync(workspace); i++) {
      if (i > 2_400) throw new Error("the sandbox's workspace never appeared");
      await sleep(25);
    }
    // Written in 1 MB files, one turn before sleeping, so the archive holds all of it.
    for (let i = 0; i < WORKSPACE_MB; i++) writeFileSync(path.join(workspace, `blob-${i}.bin`), randomBytes(1024 * 1024));
    client.send({ type: "prompt", payload: { text: PROMPT } });
    await client.until(hasResult(), "the first turn", 90_000);
    const samples: number[] = [];
    let awakeSince = 0; // index in the client's frames: a dormant status after it is this round's
    for (let sample = 1; sample <= SAMPLES; sample++) {
      const dormant = (frames: any[]) => frames.slice(awakeSince).some((x) => x.type === "session_status" && x.payload.dormant === true);
      await client.until(dormant, "dormant", 120_000);
      await wipeStoppedSandbox(platform, id);
      // The warm pool's replacement for the runner the last wake took must not start mid-measurement.
      await sleep(POOL_REFILL_PAUSE_MS);
      const before = client.stored().length;
      const sentAt = performance.now();
      client.send({ type: "prompt", payload: { text: PROMPT } });
      const resumed = (frames: any[]) =>
        frames
          .filter((x) => x.seq !== null && x.type !== "history")
          .slice(before)
          .some((x) => x.type === "assistant");
      await client.until(resumed, "the resumed turn's first assistant event", 180_000);
      samples.push(performance.now() - sentAt);
      const restored = readdirSync(workspace).filter((name) => name.startsWith("blob-")).length;
      if (restored !== WORKSPACE_MB) {
        const notices = client
          .stored()
          .slice(before)
          .filter((x) => x.type === "system");
        throw new Error(`wake ${sample}: the workspace came back with ${restored} of ${WORKSPACE_MB} files ${JSON.stringify(notices)}`);
      }
      await client.until(hasResult(before), "the resumed turn", 90_000);
      awakeSince = client.frames.length;
    }
    client.close();
    return samples;
  } finally {
    await platform.stop();
  }
}

/**
 * Waits for the dormant session's runner to be gone, then wipes what it left behind, so the
 * workspace and the conversation come back from the archive as in a fresh container.
 */
async function wipeStoppedSandbox(platform: LocalPlatform, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const answer = await fetch(`${platform.sandbox.url}/sandboxes/${id}`, {
      headers: { authorization: `Bearer ${platform.sandbox.token}` },
    });
    if (!answer.ok || !((await answer.json()) as { running: boolean }).running) break;
    await sleep(50);
  }
  const workspace = path.join(platform.sandbox.root, id, "workspace");
  for (const entry of readdirSync(workspace)) rmSync(path.join(workspace, entry), { recursive: true, force: true });
  rmSync(path.join(platform.sandbox.root, id, "home", ".claude", "projects"), { recursive: true, force: true });
}

/** Dormant → first assistant event of the resumed turn, vs the cold start of this run. */
export async function wakeSection(): Promise<Section> {
  const wakes = await measureWakes();
  const wake = quantile(wakes, 0.5);
  const cold = await coldStartOfThisRun();
  const each = wakes.map((ms) => Math.round(ms).toLocaleString("en-US")).join(", ");
  return {
    title: `Dormant session with a ${WORKSPACE_MB} MB workspace → first assistant event of the resumed turn (wakes: ${each} ms; ${RUNTIME_LABEL})`,
    columns: [`wake (prompt → first assistant, median of ${SAMPLES})`, "cold start (create → first assistant)"],
    figures: [figure("wake", "wake → first assistant", "ms", wake, cold.platform)],
    digits: 0,
  };
}
