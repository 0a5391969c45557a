/**
 * Container mode: create a session with its first prompt → its first assistant event when the
 * sandbox host runs each runner in a container of the production image (host network, and the
 * private network), against the default process mode, measured in the same run (three platforms
 * side by side, samples interleaved so load on the shared machine weighs on all alike); and the
 * image's size.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildSandboxImage, imageSize } from "../scripts/build-sandbox-image.ts";
import { startLocalPlatform, type LocalPlatform } from "../scripts/local-platform.ts";
import { platformColdStart } from "./cold-start.ts";
import { readyUser, vars } from "./platform.ts";
import { figure } from "./results.ts";
import type { Section } from "./sections.ts";
import { quantile } from "./stats.ts";

const SAMPLES = 3;

async function terminate(baseUrl: string, token: string, sessionId: string): Promise<void> {
  await fetch(`${baseUrl}/v1/sessions/${sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
}

/** Session start in container mode vs process mode (median of SAMPLES), and the image size. */
export async function containerSection(): Promise<Section> {
  const built = await buildSandboxImage({ log: () => undefined });
  const size = await imageSize(built.engine, built.image);
  const platforms: LocalPlatform[] = [];
  // Side by side, each platform keeps its local state apart (wrangler's default is one directory).
  const state = mkdtempSync(path.join(os.tmpdir(), "bench-container-"));
  try {
    const base = { vars, scriptedModel: true };
    platforms.push(await startLocalPlatform({ ...base, persistTo: path.join(state, "process") }));
    platforms.push(await startLocalPlatform({ ...base, persistTo: path.join(state, "host"), sandbox: "container" }));
    platforms.push(
      await startLocalPlatform({
        ...base,
        persistTo: path.join(state, "private"),
        sandbox: "container",
        container: { network: "private" },
      }),
    );
    const tokens = await Promise.all(platforms.map((p) => readyUser(p.baseUrl)));
    const ms: [number[], number[], number[]] = [[], [], []];
    for (let i = 0; i < SAMPLES; i++) {
      for (const [k, platform] of platforms.entries()) {
        const { ms: took, sessionId } = await platformColdStart(platform.baseUrl, tokens[k]!);
        ms[k]!.push(took);
        await terminate(platform.baseUrl, tokens[k]!, sessionId);
      }
    }
    return {
      title: `Session start in a container of the production image vs a local process (median of ${SAMPLES}, scripted model; ${built.engine})`,
      columns: ["container mode", "process mode"],
      figures: [
        figure("container_cold_start", "create session → first assistant (host network)", "ms", quantile(ms[1], 0.5), quantile(ms[0], 0.5)),
        figure(
          "container_private_cold_start",
          "create session → first assistant (private network)",
          "ms",
          quantile(ms[2], 0.5),
          quantile(ms[0], 0.5),
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
