// ContainerSandbox: one session's runner in an OCI container of the production image
// (container/Dockerfile), started with `podman run` (or `docker run`): the runner as root under
// tini, Claude Code as the image's `agent` user, the session's own workspace and home
// bind-mounted from `<root>/<session id>/`, CPU, memory and pids limited. The container mode of
// the sandbox host, for any machine shared by more than one person: an agent sees only its own
// session's files and cannot read the runner's token.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chown, mkdir } from "node:fs/promises";
import path from "node:path";
import { type ContainerEngine, DEFAULT_SANDBOX_IMAGE, engineExec, findContainerEngine, probeContainerEngine } from "./container-engine.ts";
import { confineNetwork, loopbackPort, PRIVATE_NETWORK_FLAGS } from "./container-network.ts";
import { HOST_PID_LABEL, removeOrphanedContainers } from "./container-sweep.ts";
import type { RunnerLaunch } from "./local-sandbox.ts";
import type { Sandbox } from "./sandbox.ts";

/** The image's agent user and group (container/Dockerfile: `useradd --uid 10001`). */
export const IMAGE_AGENT_UID = 10001;

/** Per-container limits; strings as the engine takes them. */
export type ContainerLimits = { cpus: string; memory: string; pids: string };

/** Defaults: room for Claude Code, a build or two and the agent's shells, not for a fork bomb. */
export const DEFAULT_LIMITS: ContainerLimits = { cpus: "2", memory: "4g", pids: "1024" };

/** `host`: the host's network, all of its loopback included; `private`: see container-network.ts. */
export type ContainerNetwork = "host" | "private";

/** How the host runs containers: engine, image, limits, network. */
export type ContainerLaunch = { engine: ContainerEngine; image: string; limits: ContainerLimits; network: ContainerNetwork };

// The image sets these (HOME, WORKSPACE_DIR, AGENT_UID...), the host owns the mounts, and
// the engine client itself reads some of them: a session's env may not set any.
const RESERVED = new Set(["PATH", "HOME", "WORKSPACE_DIR", "AGENT_UID", "AGENT_GID", "CLAUDE_BIN", "CLAUDE_CONFIG_DIR", "TMPDIR"]);
const RESERVED_PREFIXES = ["CONTAINERS_", "CONTAINER_", "PODMAN", "DOCKER", "BUILDAH", "REGISTRY_AUTH", "XDG_", "NODE_", "LD_"];

/** How long `stop` lets the runner end itself (SIGTERM) before the engine kills the container. */
const STOP_GRACE_SECONDS = 3;

/** Names this host's containers apart from another host's on the same machine. */
const HOST_TAG = randomBytes(4).toString("hex");

export class ContainerSandbox implements Sandbox {
  readonly sessionId: string;
  readonly dir: string;
  readonly workspaceDir: string;
  /** The container's name: `ai-sessions-<host>-<session id>`. */
  readonly name: string;
  #launch: ContainerLaunch;
  #client: ChildProcess | undefined;
  #exitCode: number | null = null;
  #signal: string | null = null;
  #exited: Promise<void> = Promise.resolve();

  constructor(root: string, sessionId: string, launch: ContainerLaunch) {
    this.sessionId = sessionId;
    this.dir = path.join(root, sessionId);
    this.workspaceDir = path.join(this.dir, "workspace");
    this.name = `ai-sessions-${HOST_TAG}-${sessionId}`;
    this.#launch = launch;
  }

  /** Resolves once the container's engine client has exited and the container is gone. */
  get exited(): Promise<void> {
    return this.#exited;
  }

  get running(): boolean {
    return this.#client !== undefined && this.#client.exitCode === null && this.#client.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#client?.pid;
  }

  get exitCode(): number | null {
    return this.#exitCode;
  }

  get signal(): string | null {
    return this.#signal;
  }

  /** Starts the container; resolves once the engine client runs (the runner connects on its own). */
  async start(env: Record<string, string>, hostLaunch: RunnerLaunch): Promise<void> {
    const home = path.join(this.dir, "home");
    await Promise.all([this.workspaceDir, home].map((d) => mkdir(d, { recursive: true })));
    // The agent owns its workspace and home inside the container, as it does in the image.
    await Promise.all([this.workspaceDir, home].map((d) => chown(d, IMAGE_AGENT_UID, IMAGE_AGENT_UID)));
    // A container of an earlier start that the engine has not removed yet would hold the name.
    if (this.#client) await this.#remove();

    const { engine, image, limits, network } = this.#launch;
    // Values travel in the client's environment (`-e NAME`), never on its command line, where
    // any user of this machine could read the tokens in `ps`.
    const clientEnv: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin" };
    if (process.env["HOME"]) clientEnv["HOME"] = process.env["HOME"];
    const envFlags: string[] = [];
    for (const [name, value] of Object.entries(env)) {
      if (RESERVED.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p))) continue;
      clientEnv[name] = value;
      envFlags.push("-e", name);
    }
    const args = [
      "run",
      ...engine.runFlags,
      "--rm",
      "--name",
      this.name,
      "--label",
      `ai-sessions.session=${this.sessionId}`,
      "--label",
      `${HOST_PID_LABEL}=${process.pid}`,
      // The runner reaches the platform (and the model gateway) on the host's loopback: all of it
      // (host), or only the platform's port (private).
      ...(network === "private" ? PRIVATE_NETWORK_FLAGS : ["--network", "host"]),
      "--cpus",
      limits.cpus,
      "--memory",
      limits.memory,
      "--pids-limit",
      limits.pids,
      "-v",
      `${this.workspaceDir}:/workspace`,
      "-v",
      `${home}:/home/agent`,
      ...envFlags,
      image,
    ];

    this.#exitCode = null;
    this.#signal = null;
    const log = createWriteStream(path.join(this.dir, "runner.log"), { flags: "a" });
    const client = spawn(engine.bin, args, { env: clientEnv, stdio: ["ignore", "pipe", "pipe"] });
    this.#client = client;
    const forward = (chunk: Buffer): void => {
      log.write(chunk);
      if (hostLaunch.echoLogs) {
        for (const line of chunk.toString("utf8").split("\n")) if (line) process.stderr.write(`[${this.sessionId}] ${line}\n`);
      }
    };
    client.stdout!.on("data", forward);
    client.stderr!.on("data", forward);
    this.#exited = new Promise((resolve) => {
      client.once("close", (code, signal) => {
        this.#exitCode = code;
        this.#signal = signal;
        log.write(`sandbox host: the container exited (${signal ? `signal ${signal}` : `code ${code}`})\n`);
        log.end();
        // `--rm` has removed it, unless the client itself was killed: make sure.
        void this.#remove().finally(resolve);
      });
      client.once("error", (error) => {
        log.write(`sandbox host: could not start ${engine.bin}: ${error.message}\n`);
        log.end();
        resolve();
      });
    });
    if (network === "private") {
      // Fail closed: a container whose network could not be confined does not stay.
      await confineNetwork(engine.bin, this.name, loopbackPort(env["PLATFORM_URL"]), () => this.running).catch(async (error: unknown) => {
        await this.stop();
        throw error;
      });
    }
  }

  /** Stops the container: SIGTERM to the runner, SIGKILL after 3 s; the container is removed. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    if (this.running) {
      const { bin } = this.#launch.engine;
      await engineExec(bin, ["stop", "--time", String(STOP_GRACE_SECONDS), this.name], 30_000);
      // The client returns once the container is gone; should it hang, kill it and remove.
      const timer = setTimeout(() => client.kill("SIGKILL"), 15_000);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#exited;
  }

  /** Removes the container if it exists (never throws). */
  async #remove(): Promise<void> {
    const { bin } = this.#launch.engine;
    await engineExec(bin, ["rm", "--force", this.name], 30_000).catch(() => undefined);
  }
}

/** Options of the container mode; the environment's SANDBOX_IMAGE, SANDBOX_CPUS, SANDBOX_MEMORY, SANDBOX_PIDS, SANDBOX_NETWORK fill the gaps. */
export type ContainerModeOptions = { image?: string; limits?: Partial<ContainerLimits>; network?: ContainerNetwork };

/**
 * The container mode's sandbox factory, once the engine has run the image (throws a clear error
 * when there is no engine or no image: the host must not start without its backend).
 */
export async function containerSandboxes(
  options: ContainerModeOptions = {},
): Promise<(root: string, sessionId: string) => ContainerSandbox> {
  const image = options.image ?? process.env["SANDBOX_IMAGE"] ?? DEFAULT_SANDBOX_IMAGE;
  const found = findContainerEngine();
  if ("missing" in found) throw new Error(`the container mode needs podman or docker: ${found.missing}`);
  const engine = await probeContainerEngine(found.bin, image).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n(build the image with \`npm run build:image\`)`);
  });
  const orphans = await removeOrphanedContainers(engine.bin);
  if (orphans.length > 0)
    process.stderr.write(`sandbox host: removed ${orphans.length} container(s) left by a sandbox host that is gone\n`);
  const env = process.env;
  const limits: ContainerLimits = {
    cpus: options.limits?.cpus ?? env["SANDBOX_CPUS"] ?? DEFAULT_LIMITS.cpus,
    memory: options.limits?.memory ?? env["SANDBOX_MEMORY"] ?? DEFAULT_LIMITS.memory,
    pids: options.limits?.pids ?? env["SANDBOX_PIDS"] ?? DEFAULT_LIMITS.pids,
  };
  const network = options.network ?? env["SANDBOX_NETWORK"] ?? "host";
  if (network !== "host" && network !== "private") throw new Error(`SANDBOX_NETWORK must be host or private, not ${network}`);
  return (root, sessionId) => new ContainerSandbox(root, sessionId, { engine, image, limits, network });
}
