/**
 * The container mode's cleanup of containers whose sandbox host died (sandbox-host/container-sweep.ts),
 * against the real engine: a container labelled with a pid that no longer exists is removed, one
 * whose host is alive (this process) is left alone.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSandboxImage } from "../../scripts/build-sandbox-image.ts";
import { findContainerEngine, probeContainerEngine, type ContainerEngine } from "../../sandbox-host/container-engine.ts";
import { HOST_PID_LABEL, removeOrphanedContainers } from "../../sandbox-host/container-sweep.ts";

const found = findContainerEngine();
if ("missing" in found) console.warn(`SKIPPED container sweep test: ${found.missing}`);

let engine: ContainerEngine;
let image: string;
const names: string[] = [];

beforeAll(async () => {
  if ("missing" in found) return;
  image = (await buildSandboxImage({ log: () => undefined })).image;
  engine = await probeContainerEngine(found.bin, image);
}, 900_000);
afterAll(() => {
  // One at a time: the engine stops at a name that is already gone (the orphan).
  for (const name of names) spawnSync(engine.bin, ["rm", "--force", "--time", "0", name], { stdio: "ignore" });
});

function startLabelled(hostPid: number): string {
  const name = `sweep-test-${randomBytes(4).toString("hex")}`;
  names.push(name);
  execFileSync(engine.bin, [
    "run",
    ...engine.runFlags,
    "-d",
    "--rm",
    "--name",
    name,
    "--label",
    `${HOST_PID_LABEL}=${hostPid}`,
    image,
    "sleep",
    "300",
  ]);
  return name;
}

function exists(name: string): boolean {
  return execFileSync(engine.bin, ["ps", "--all", "--format", "{{.Names}}"], { encoding: "utf8" }).split("\n").includes(name);
}

describe.runIf(!("missing" in found))("containers left by a dead sandbox host", () => {
  it("are removed; a live host's containers stay", async () => {
    const gone = spawnSync("true").pid!; // a pid whose process has exited
    const orphan = startLabelled(gone);
    const kept = startLabelled(process.pid);
    expect(exists(orphan) && exists(kept)).toBe(true);

    expect(await removeOrphanedContainers(engine.bin)).toContain(orphan);
    expect(exists(orphan)).toBe(false);
    expect(exists(kept)).toBe(true);
  }, 120_000);
});
