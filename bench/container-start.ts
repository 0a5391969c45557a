/**
 * Container mode: create a session with its first prompt → its first assistant event when the
 * sandbox host runs each runner in a container of the production image, beside the default
 * process mode and Claude Code started directly (cold), all measured in the same run; and the
 * image's size. Four platforms side by side, samples interleaved so load on the shared machine
 * weighs on all alike: the process mode, containers on the host network and on the private network
 * (each with the sandbox host's warm pool of one, as `npm start` runs them), and the private
 * network with the pool off (every container started for its session: what the pool saves).
 * Before each sample the platform's pool is full again and its replacement has settled, so every
 * pooled sample takes a warm sandbox and no refill runs during a measurement.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SandboxPoolState } from "../schemas/sandbox-pool.ts";
import { buildSandboxImage, imageSize } from "../scripts/build-sandbox-image.ts";
import { type LocalPlatform, type LocalPlatformOptions, startLocalPlatform } from "../scripts/local-platform.ts";
import { platformColdStart } from "./cold-start.ts";
import { readyUser, vars } from "./platform.ts";
import { directColdStart } from "./prompt-latency.ts";
import { figure } from "./results.ts";
import { CLAUDE_BIN, type Section } from "./sections.ts";
import { quantile, sleep } from "./stats.ts";

const SAMPLES = 3;

/**
 * After the pool reports its sandbox ready (a container runs, confined), its runner still starts
 * Node and probes `claude --help` for about a core-second: let it finish before measuring.
 */
const SETTLE_MS = 3_000;

async function terminate(baseUrl: string, token: string, sessionId: string): Promise<void> {
  await fetch(`${baseUrl}/v1/sessions/${sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
}

/** Waits until the platform's sandbox host has its warm pool full (nothing to wait for without one), then lets it settle. */
async function poolFull(platform: LocalPlatform): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${platform.sandbox.url}/pool`, { headers: { authorization: `Bearer ${platform.sandbox.token}` } });
    const pool = SandboxPoolState.parse(await res.json());
    if (pool.size === 0) return;
    if (pool.ready === pool.size) break;
    if (Date.now() > deadline) throw new Error("the sandbox host's warm pool did not fill within 120 s");
    await sleep(200);
  }
  await sleep(SETTLE_MS);
}

/** Session start in container mode vs process mode and Claude Code directly (median of SAMPLES), and the image size. */
export async function containerSection(): Promise<Section> {
  const built = await buildSandboxImage({ log: () => undefined });
  const size = await imageSize(built.engine, built.image);
  const platforms: LocalPlatform[] = [];
  // Side by side, each platform keeps its local state apart (wrangler's default is one directory).
  const state = mkdtempSync(path.join(os.tmpdir(), "bench-container-"));
  const modes: [string, Partial<LocalPlatformOptions>][] = [
    ["process", {}],
    ["host", { sandbox: "container" }],
    ["private", { sandbox: "container", container: { network: "private" } }],
    ["private-unpooled", { sandbox: "container", container: { network: "private" }, warmSandboxes: 0 }],
  ];
  try {
    for (const [name, options] of modes)
      platforms.push(await startLocalPlatform({ vars, scriptedModel: true, persistTo: path.join(state, name), ...options }));
    const tokens = await Promise.all(platforms.map((p) => readyUser(p.baseUrl)));
    const ms: number[][] = modes.map(() => []);
    const direct: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      for (const [k, platform] of platforms.entries()) {
        await poolFull(platform);
        const { ms: took, sessionId } = await platformColdStart(platform.baseUrl, tokens[k]!);
        ms[k]!.push(took);
        await terminate(platform.baseUrl, tokens[k]!, sessionId);
      }
      direct.push(await directColdStart(CLAUDE_BIN, platforms[0]!.modelServer!.url));
    }
    const [processMs, hostMs, privateMs, unpooledMs] = ms.map((samples) => quantile(samples, 0.5)) as [number, number, number, number];
    return {
      title: `Session start in a container of the production image (median of ${SAMPLES}, scripted model; ${built.engine}; warm pool of 1 unless said)`,
      columns: ["container mode", "baseline (see each row)"],
      figures: [
        figure("container_cold_start", "create session → first assistant, host network, vs process mode", "ms", hostMs, processMs),
        figure(
          "container_private_cold_start",
          "create session → first assistant, private network, vs process mode",
          "ms",
          privateMs,
          processMs,
        ),
        figure(
          "container_private_vs_direct",
          "create session → first assistant, private network, vs Claude Code started directly (cold)",
          "ms",
          privateMs,
          quantile(direct, 0.5),
        ),
        figure(
          "container_private_unpooled",
          "the same without the warm pool (a container started per session), vs with it",
          "ms",
          unpooledMs,
          privateMs,
        ),
        figure("sandbox_image_mb", `image size (${built.image})`, "MB", size / 1e6, null),
      ],
      digits: 0,
    };
  } finally {
    for (const platform of platforms) await platform.stop();
    rmSync(state, { recursive: true, force: true });
  }
}
