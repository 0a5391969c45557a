/**
 * `npm run build:image`: builds the production sandbox image (container/Dockerfile) on this
 * machine, for the sandbox host's container mode, its tests and CI.
 *
 * Docker Hub is unreachable here, so `node:22-slim` cannot be pulled: the Dockerfile takes
 * `BASE_IMAGE`, and this script makes a local one — a Debian root filesystem from `mmdebstrap`
 * plus the Node 22 binary the `node` npm package ships and npm — once (kept by its tag), then
 * builds the sandbox image on it with the engine's layer cache, so a rebuild after a runner
 * change only re-bundles the runner (seconds). `--base-image node:22-slim` skips the local base
 * where the registry is reachable.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_SANDBOX_IMAGE, engineExec, findContainerEngine } from "../sandbox-host/container-engine.ts";
import { ROOT } from "./local-env.ts";
import { parseScriptArgs } from "./script-args.ts";

const NODE_VERSION = (JSON.parse(readFileSync(path.join(ROOT, "node_modules/node/package.json"), "utf8")) as { version: string }).version;
/** npm as node:22-slim carries it (Node 22's bundled line). */
const NPM_VERSION = "10.9.9";
/** Bump when the base recipe below changes, so existing bases are not reused. */
const BASE_RECIPE = "r1";
const DEBIAN_SUITE = "bookworm";
/** The local base image; its tag names everything it is made of. */
export const LOCAL_BASE_IMAGE = `localhost/ai-sessions-base:${DEBIAN_SUITE}-node${NODE_VERSION}-npm${NPM_VERSION}-${BASE_RECIPE}`;
/** The host's extra CA certificates (a TLS-inspecting egress proxy's): the build's npm and apt must trust them too. */
const HOST_EXTRA_CAS = "/usr/local/share/ca-certificates";

export type BuildOptions = {
  /** The image to tag (default DEFAULT_SANDBOX_IMAGE). */
  image?: string;
  /** Build on this base instead of the local one (e.g. node:22-slim where Docker Hub is reachable). */
  baseImage?: string;
  /** Where progress goes (default stderr). */
  log?: (line: string) => void;
  /** Pass the engine's build output through. */
  verbose?: boolean;
};

/** What was built; `baseSeconds` is set when the base image was built in this run. */
export type BuildResult = { image: string; baseImage: string; engine: string; baseSeconds?: number; seconds: number };

/** Builds (or, with the layer cache, refreshes) the sandbox image; throws with the failing step's output. */
export async function buildSandboxImage(options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const image = options.image ?? DEFAULT_SANDBOX_IMAGE;
  const found = findContainerEngine();
  if ("missing" in found) throw new Error(found.missing);
  const engine = found.bin;

  const baseImage = options.baseImage ?? LOCAL_BASE_IMAGE;
  let baseSeconds: number | undefined;
  if (!options.baseImage && !(await imageExists(engine, baseImage))) {
    log(`building the base image ${baseImage} (Debian ${DEBIAN_SUITE} + Node ${NODE_VERSION}, once)...`);
    await buildLocalBase(engine, baseImage, options.verbose ?? false);
    baseSeconds = (performance.now() - started) / 1000;
  }
  log(`building ${image} from container/Dockerfile on ${baseImage}...`);
  const args = ["build", "-f", "container/Dockerfile", "--build-arg", `BASE_IMAGE=${baseImage}`, "-t", image];
  // podman 4 does not read <Dockerfile>.dockerignore by itself (BuildKit does): without it the
  // context would carry node_modules.
  if (engine === "podman") args.push("--layers", "--ignorefile", "container/Dockerfile.dockerignore");
  await run(engine, [...args, "."], ROOT, options.verbose ?? false);
  return { image, baseImage, engine, ...(baseSeconds === undefined ? {} : { baseSeconds }), seconds: (performance.now() - started) / 1000 };
}

async function imageExists(engine: string, image: string): Promise<boolean> {
  return (await engineExec(engine, ["image", "inspect", "--format", "{{.Id}}", image])).code === 0;
}

/** The image's size in bytes, as the engine reports it. */
export async function imageSize(engine: string, image: string): Promise<number> {
  const result = await engineExec(engine, ["image", "inspect", "--format", "{{.Size}}", image]);
  if (result.code !== 0) throw new Error(`${engine} image inspect ${image}: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}

/** Debian minbase + the project's Node binary + npm + the host's extra CAs, imported as `tag`. */
async function buildLocalBase(engine: string, tag: string, verbose: boolean): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), "ai-sessions-base-"));
  try {
    const nodeBin = path.join(ROOT, "node_modules/node/bin/node");
    if (!existsSync(nodeBin)) throw new Error(`the Node binary of the \`node\` package is missing (${nodeBin}): run npm ci`);
    // npm's own package from the registry (npm is not in the `node` package).
    await run("npm", ["pack", `npm@${NPM_VERSION}`, "--silent", "--pack-destination", work], work, verbose);
    const npmTarball = path.join(work, `npm-${NPM_VERSION}.tgz`);
    const extraCas = existsSync(HOST_EXTRA_CAS) ? readdirSync(HOST_EXTRA_CAS).filter((f) => f.endsWith(".crt")) : [];
    // mmdebstrap's hooks get the root directory as $1.
    const hooks = [
      `install -m 0755 '${nodeBin}' "$1/usr/local/bin/node"`,
      `mkdir -p "$1/usr/local/lib/node_modules/npm" && tar -xzf '${npmTarball}' -C "$1/usr/local/lib/node_modules/npm" --strip-components=1`,
      `ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"`,
      ...(extraCas.length > 0
        ? [
            `cp ${extraCas.map((f) => `'${path.join(HOST_EXTRA_CAS, f)}'`).join(" ")} "$1/usr/local/share/ca-certificates/" && chroot "$1" update-ca-certificates`,
          ]
        : []),
    ];
    const rootfs = path.join(work, "rootfs.tar");
    await run(
      "mmdebstrap",
      [
        "--variant=minbase",
        "--include=ca-certificates",
        "--quiet",
        ...hooks.map((hook) => `--customize-hook=${hook}`),
        DEBIAN_SUITE,
        rootfs,
      ],
      work,
      verbose,
    );
    // Node's own CA list does not include the host's extra ones; the system bundle does.
    await run(
      engine,
      [
        "import",
        "--change",
        "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
        "--change",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change",
        'CMD ["node"]',
        rootfs,
        tag,
      ],
      work,
      verbose,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs a build step; on failure throws with the end of its output. */
function run(command: string, args: string[], cwd: string, verbose: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", verbose ? "inherit" : "pipe", verbose ? "inherit" : "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
    child.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
    child.once("error", (error) => reject(new Error(`${command}: ${error.message}`)));
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args[0]} failed (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

if (import.meta.main) {
  const usage = `Usage: npm run build:image -- [--base-image IMAGE] [--tag IMAGE] [--verbose]

Builds the sandbox image from container/Dockerfile for the sandbox host's container mode
(default tag ${DEFAULT_SANDBOX_IMAGE}). Without --base-image the base is a local Debian +
Node ${NODE_VERSION} image made once with mmdebstrap (${LOCAL_BASE_IMAGE}).`;
  const values = parseScriptArgs(usage, {
    "base-image": { type: "string" },
    tag: { type: "string" },
    verbose: { type: "boolean", default: false },
  });
  try {
    const result = await buildSandboxImage({
      ...(values["base-image"] ? { baseImage: values["base-image"] } : {}),
      ...(values.tag ? { image: values.tag } : {}),
      verbose: values.verbose!,
    });
    const size = await imageSize(result.engine, result.image);
    console.log(
      `${result.image}: built in ${result.seconds.toFixed(1)} s${result.baseSeconds === undefined ? "" : ` (the base image included: ${result.baseSeconds.toFixed(1)} s)`}, ${(size / 1e6).toFixed(0)} MB`,
    );
  } catch (error) {
    console.error(`build:image: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
