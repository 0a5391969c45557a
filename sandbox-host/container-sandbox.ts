// ContainerSandbox: one session's runner in an OCI container of the production image
// (container/Dockerfile), started with `podman run` (or `docker run`): the runner as root under
// tini, Claude Code as the image's `agent` user, the session's own workspace and home
// bind-mounted from `<root>/<session id>/`, CPU, memory and pids limited. The container mode of
// the sandbox host, for any machine shared by more than one person: an agent sees only its own
// session's files and cannot read the runner's token.
//
// Warm containers (sandbox-host/warm-pool.ts): started ahead of demand from the same image, with
// the same limits and network, each mounting a `.warm-…` directory of its own and holding no
// session; see `startWarm` and `claim`.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { chown, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { WARM_RUNNER_VAR, type WarmClaim } from "../schemas/warm-claim.ts";
import { type ContainerEngine, DEFAULT_SANDBOX_IMAGE, engineExec, findContainerEngine, probeContainerEngine } from "./container-engine.ts";
import { type ContainerInit, confineNetwork, loopbackPort, openPlatformPort, PRIVATE_NETWORK_FLAGS } from "./container-network.ts";
import { HOST_PID_LABEL, removeOrphanedContainers } from "./container-sweep.ts";
import type { RunnerLaunch } from "./local-sandbox.ts";
import type { Sandbox, SandboxBackend } from "./sandbox.ts";
import type { WarmSandbox } from "./warm-pool.ts";

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
const RESERVED = new Set([
  "PATH",
  "HOME",
  "WORKSPACE_DIR",
  "AGENT_UID",
  "AGENT_GID",
  "CLAUDE_BIN",
  "CLAUDE_CONFIG_DIR",
  "TMPDIR",
  WARM_RUNNER_VAR,
]);
const RESERVED_PREFIXES = ["CONTAINERS_", "CONTAINER_", "PODMAN", "DOCKER", "BUILDAH", "REGISTRY_AUTH", "XDG_", "NODE_", "LD_"];

/** How long `stop` lets the runner end itself (SIGTERM) before the engine kills the container. */
const STOP_GRACE_SECONDS = 3;

/** Names this host's containers apart from another host's on the same machine. */
const HOST_TAG = randomBytes(4).toString("hex");

/** The label of a container started warm (its name says whether a session has claimed it since). */
export const WARM_LABEL = "ai-sessions.warm";

/** A session's tokens: in a cold container's environment (as in production), in a warm one's claim. */
const SECRETS = ["RUNNER_TOKEN", "GATEWAY_TOKEN"] as const;

export class ContainerSandbox implements Sandbox, WarmSandbox {
  #sessionId: string;
  #root: string;
  #dir: string;
  /** The container's name: `ai-sessions-<host>-<session id>` (a warm one's `…-warm-<id>` until its claim renames it). */
  #name: string;
  #launch: ContainerLaunch;
  #client: ChildProcess | undefined;
  #exitCode: number | null = null;
  #signal: string | null = null;
  #exited: Promise<void> = Promise.resolve();
  /** The container's init, whose network namespace the private network's rules are in. */
  #init: ContainerInit | undefined;
  /** Set while a warm container waits for its claim; cleared by the claim (or its death). */
  #warm = false;
  /** Set once a claim began: from then on its directory may hold a session's files. */
  #claimed = false;
  /** The claimed container's rename to its session's name, under way (stop waits for it). */
  #renamed: Promise<void> = Promise.resolve();

  constructor(root: string, sessionId: string, launch: ContainerLaunch, name = `ai-sessions-${HOST_TAG}-${sessionId}`) {
    this.#sessionId = sessionId;
    this.#root = root;
    this.#dir = path.join(root, sessionId);
    this.#name = name;
    this.#launch = launch;
  }

  /**
   * Starts a warm container: the runner waits, as root under tini, for its claim on stdin
   * (container/runner/warm-start.ts), with the image's environment and `RUNNER_WARM=1` only, in
   * an empty `.warm-…` directory (a dot: no session id has one), on the private network with
   * every host-loopback port refused. Resolves once it runs (and is confined).
   */
  static async startWarm(root: string, launch: ContainerLaunch, hostLaunch: RunnerLaunch): Promise<ContainerSandbox> {
    const id = randomBytes(8).toString("hex");
    const sandbox = new ContainerSandbox(root, `.warm-${id}`, launch, `ai-sessions-${HOST_TAG}-warm-${id}`);
    try {
      await sandbox.#run({}, hostLaunch, true);
    } catch (error) {
      // #run stopped it; its directory goes too (the pool retries with a new one).
      await sandbox.discardWarm();
      throw error;
    }
    return sandbox;
  }

  get sessionId(): string {
    return this.#sessionId;
  }

  get dir(): string {
    return this.#dir;
  }

  get workspaceDir(): string {
    return path.join(this.#dir, "workspace");
  }

  /** The container's current name. */
  get name(): string {
    return this.#name;
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
    await this.#run(env, hostLaunch, false);
  }

  /**
   * Whether this warm container may serve the session. Its image, limits and network are the
   * host's, the ones a cold container of any session gets: a session's variables cannot change
   * them (RESERVED keeps CONTAINER_*, PODMAN*, … out), so no session asks for other limits.
   * What does not fit is a session that already has a directory on this root (a woken one, or
   * one from before a host restart): its workspace and home are bind-mounted when a container
   * is created, so it starts cold in its own directory, files kept.
   */
  fits(sessionId: string): boolean {
    return !existsSync(path.join(this.#root, sessionId));
  }

  /**
   * Gives this warm container to a session: its directory becomes `<root>/<sessionId>` (the bind
   * mounts follow a renamed directory: they hold the directory, not its path), the private
   * network opens the session's platform port, and the runner gets the session's variables and
   * tokens in one line on its stdin: never in the container's environment nor on a command line.
   * False when it is no longer warm; throws when the claim fails half-way (the pool then discards
   * it: the container never serves anyone).
   */
  async claim(sessionId: string, env: Record<string, string>): Promise<boolean> {
    const stdin = this.#client?.stdin;
    if (!this.#warm || !this.running || !stdin) return false;
    this.#warm = false; // from here on it is this session's or nobody's: never claimed twice
    const target = path.join(this.#root, sessionId);
    // mkdir claims the name (EEXIST: a directory made since `fits`; the claim fails, the session
    // starts cold in it, and discardWarm removes this one's own directory), then the rename
    // lands on that empty directory.
    await mkdir(target);
    this.#claimed = true;
    await rename(this.#dir, target);
    this.#dir = target;
    this.#sessionId = sessionId;
    if (this.#launch.network === "private") await openPlatformPort(this.#init!, this.#name, loopbackPort(env["PLATFORM_URL"]));
    const variables = sessionVariables(env);
    for (const name of SECRETS) delete variables[name];
    const token = env["RUNNER_TOKEN"];
    const gateway = env["GATEWAY_TOKEN"];
    const claim: WarmClaim = {
      env: variables,
      ...(token ? { secrets: { RUNNER_TOKEN: token, ...(gateway ? { GATEWAY_TOKEN: gateway } : {}) } } : {}),
    };
    // Delivered, or the claim fails: a client whose stdin is closed (the container died) must
    // not be taken for this session's.
    await new Promise<void>((resolve, reject) =>
      stdin.end(`${JSON.stringify(claim)}\n`, (error?: Error | null) => (error ? reject(error) : resolve())),
    );
    // `podman ps` then names the session, as for a cold container; off the claim's path.
    this.#renamed = this.#rename(`ai-sessions-${HOST_TAG}-${sessionId}`);
    return true;
  }

  /** Stops an unclaimed warm container and deletes its directory (it never held anything of a session's). */
  async discardWarm(): Promise<void> {
    await this.stop();
    // A claim that failed half-way may have moved the session's name onto it: left alone.
    if (!this.#claimed) await rm(this.#dir, { recursive: true, force: true });
  }

  async #run(env: Record<string, string>, hostLaunch: RunnerLaunch, warm: boolean): Promise<void> {
    const home = path.join(this.#dir, "home");
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
    for (const [name, value] of Object.entries(sessionVariables(env))) {
      clientEnv[name] = value;
      envFlags.push("-e", name);
    }
    const args = [
      "run",
      ...engine.runFlags,
      "--rm",
      "--name",
      this.#name,
      // A warm one: stdin kept open for its claim, and no session until then.
      ...(warm
        ? ["-i", "--label", `${WARM_LABEL}=1`, "-e", `${WARM_RUNNER_VAR}=1`]
        : ["--label", `ai-sessions.session=${this.#sessionId}`]),
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
    this.#warm = warm;
    // Opened once: the stream holds the file, so a claim's rename of the directory carries it along.
    const log = createWriteStream(path.join(this.#dir, "runner.log"), { flags: "a" });
    const client = spawn(engine.bin, args, { env: clientEnv, stdio: [warm ? "pipe" : "ignore", "pipe", "pipe"] });
    this.#client = client;
    client.stdin?.on("error", () => undefined); // EPIPE: the container died before its claim; 'close' reports it
    const forward = (chunk: Buffer): void => {
      log.write(chunk);
      if (hostLaunch.echoLogs) {
        for (const line of chunk.toString("utf8").split("\n")) if (line) process.stderr.write(`[${this.#sessionId}] ${line}\n`);
      }
    };
    client.stdout!.on("data", forward);
    client.stderr!.on("data", forward);
    this.#exited = new Promise((resolve) => {
      client.once("close", (code, signal) => {
        this.#warm = false;
        this.#exitCode = code;
        this.#signal = signal;
        log.write(`sandbox host: the container exited (${signal ? `signal ${signal}` : `code ${code}`})\n`);
        log.end();
        // `--rm` has removed it, unless the client itself was killed: make sure.
        void this.#remove().finally(resolve);
      });
      client.once("error", (error) => {
        this.#warm = false;
        log.write(`sandbox host: could not start ${engine.bin}: ${error.message}\n`);
        log.end();
        resolve();
      });
    });
    if (network === "private") {
      // Fail closed: a container whose network could not be confined does not stay. A warm one
      // has no session, so no platform port yet: everything on the host's loopback is refused.
      this.#init = await confineNetwork(
        engine.bin,
        this.#name,
        warm ? undefined : loopbackPort(env["PLATFORM_URL"]),
        () => this.running,
      ).catch(async (error: unknown) => {
        await this.stop();
        throw error;
      });
    }
  }

  /** Stops the container: SIGTERM to the runner, SIGKILL after 3 s; the container is removed. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    await this.#renamed;
    if (this.running) {
      const { bin } = this.#launch.engine;
      await engineExec(bin, ["stop", "--time", String(STOP_GRACE_SECONDS), this.#name], 30_000);
      // The client returns once the container is gone; should it hang, kill it and remove.
      const timer = setTimeout(() => client.kill("SIGKILL"), 15_000);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#exited;
  }

  /** Renames the container (never throws: a container that keeps its warm name still works). */
  async #rename(name: string): Promise<void> {
    const result = await engineExec(this.#launch.engine.bin, ["rename", this.#name, name], 30_000).catch((error: Error) => ({
      code: null,
      stderr: error.message,
    }));
    if (result.code === 0) this.#name = name;
    else if (this.running)
      process.stderr.write(`sandbox host: could not rename container ${this.#name} to ${name}: ${result.stderr.trim()}\n`);
  }

  /** Removes the container if it exists (never throws). */
  async #remove(): Promise<void> {
    const { bin } = this.#launch.engine;
    await engineExec(bin, ["rm", "--force", this.#name], 30_000).catch(() => undefined);
  }
}

/** The request's variables a container may get: none the image or the engine owns. */
function sessionVariables(env: Record<string, string>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!RESERVED.has(name) && !RESERVED_PREFIXES.some((p) => name.startsWith(p))) variables[name] = value;
  }
  return variables;
}

/** Options of the container mode; the environment's SANDBOX_IMAGE, SANDBOX_CPUS, SANDBOX_MEMORY, SANDBOX_PIDS, SANDBOX_NETWORK fill the gaps. */
export type ContainerModeOptions = { image?: string; limits?: Partial<ContainerLimits>; network?: ContainerNetwork };

/**
 * The container mode's sandbox factory, once the engine has run the image (throws a clear error
 * when there is no engine or no image: the host must not start without its backend).
 */
export async function containerSandboxes(options: ContainerModeOptions = {}): Promise<SandboxBackend> {
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
  const launch: ContainerLaunch = { engine, image, limits, network };
  // Cold and warm containers from one launch: the same image, limits and network.
  return {
    create: (root, sessionId) => new ContainerSandbox(root, sessionId, launch),
    startWarm: (root, hostLaunch) => ContainerSandbox.startWarm(root, launch, hostLaunch),
  };
}
