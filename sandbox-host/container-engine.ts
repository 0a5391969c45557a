// The container engine on this machine (podman, or a docker CLI with a running engine) and the
// flags every `run` needs here: where root lacks CAP_SYS_RESOURCE, podman's runtimes fail every
// start with "error setting rlimits", and the project's wrapper (oci/runc-without-rlimits) fixes
// that. A trivial `run` decides, once per process, whether the wrapper is needed.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";

/**
 * The image the container mode runs, built from this checkout by scripts/build-sandbox-image.ts.
 * Tagged per checkout: two checkouts on one machine (CI beside a developer) must never run each
 * other's runner; their images share every layer but the runner's.
 */
export const DEFAULT_SANDBOX_IMAGE = `localhost/ai-sessions-sandbox:${createHash("sha256")
  .update(path.resolve(import.meta.dirname, ".."))
  .digest("hex")
  .slice(0, 12)}`;

/** The OCI runtime wrapper that drops process.rlimits (see the file's own comment). */
export const RLIMITS_WRAPPER = path.join(import.meta.dirname, "oci", "runc-without-rlimits");

/** An engine that can run containers here, and the flags `run` takes on this machine. */
export type ContainerEngine = {
  /** `podman` or `docker`. */
  bin: string;
  /** Flags for `run` (the runtime wrapper when the probe needed it). */
  runFlags: string[];
};

/** The result of running an engine command. */
export type EngineResult = { code: number | null; stdout: string; stderr: string };

/** Runs `bin args` and collects its output (no shell; never rejects on a non-zero exit). */
export function engineExec(bin: string, args: string[], timeoutMs = 120_000): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The first of podman and docker whose engine answers (`info`), or undefined with the reason:
 * the container mode and its tests need one, and say so when there is none.
 */
export function findContainerEngine(): { bin: string } | { missing: string } {
  const tried: string[] = [];
  for (const bin of ["podman", "docker"]) {
    const info = spawnSync(bin, ["info"], { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000, encoding: "utf8" });
    if (info.error) {
      tried.push(`${bin}: not installed`);
      continue;
    }
    if (info.status === 0) return { bin };
    tried.push(`${bin}: ${info.stderr.trim().split("\n").at(-1) ?? `exit ${info.status}`}`);
  }
  return { missing: `no container engine can run here (${tried.join("; ")})` };
}

const probed = new Map<string, Promise<ContainerEngine>>();

/**
 * The engine with the flags `run` needs, probed once per engine and image: `run --rm IMAGE true`
 * plainly, and when that fails on rlimits (and the engine is podman), again with the wrapper.
 * Throws with the engine's own message when neither works.
 */
export function probeContainerEngine(bin: string, image: string): Promise<ContainerEngine> {
  const key = `${bin}\0${image}`;
  let result = probed.get(key);
  if (!result) {
    result = probe(bin, image);
    probed.set(key, result);
    result.catch(() => probed.delete(key));
  }
  return result;
}

async function probe(bin: string, image: string): Promise<ContainerEngine> {
  const trial = ["run", "--rm", "--network", "none", "--entrypoint", "true", image];
  const plain = await engineExec(bin, trial);
  if (plain.code === 0) return { bin, runFlags: [] };
  if (bin === "podman" && /rlimit/i.test(plain.stderr)) {
    const runFlags = ["--runtime", RLIMITS_WRAPPER];
    const wrapped = await engineExec(bin, [trial[0]!, ...runFlags, ...trial.slice(1)]);
    if (wrapped.code === 0) return { bin, runFlags };
    throw new Error(`${bin} cannot run ${image}, even without rlimits: ${wrapped.stderr.trim()}`);
  }
  throw new Error(`${bin} cannot run ${image}: ${plain.stderr.trim()}`);
}
