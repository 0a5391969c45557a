// LocalSandbox: one session's runner as a child process in its own process group, with its own
// workspace, home and temp directories. The development/test stand-in for a container.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { killProcessesWithEnv } from "./process-sweep.ts";
import { launchWithWorkspace } from "./workspace-mount.ts";
import { writeRunnerSecrets, type SecretsHandoff } from "./runner-secrets.ts";

/**
 * Every process of a sandbox inherits this variable with the sandbox's directory as its value:
 * the sweep finds escaped processes by it (WORKSPACE_DIR is /workspace in every sandbox now).
 */
const SANDBOX_MARKER = "AI_SESSIONS_SANDBOX";

/** Where the runner and Claude Code come from. */
export type RunnerLaunch = { nodeBin: string; runnerMain: string; claudeBin: string; echoLogs: boolean };

// Fixed by the host: the request's env cannot move a sandbox out of its directory, nor point the
// runner at a secrets file of its choosing (the runner deletes that file).
const HOST_OWNED = ["HOME", "WORKSPACE_DIR", "CLAUDE_CONFIG_DIR", "TMPDIR", "RUNNER_SECRETS_FILE", SANDBOX_MARKER];
// Given to the runner in a file, never in its environment (runner-secrets.ts).
const SECRETS = ["RUNNER_TOKEN", "GATEWAY_TOKEN"];

const STOP_GRACE_MS = 3_000;

/** A started sandbox and what became of its runner. */
export class LocalSandbox {
  readonly sessionId: string;
  readonly dir: string;
  readonly workspaceDir: string;
  #root: string;
  #child: ChildProcess | undefined;
  #exitCode: number | null = null;
  #signal: string | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log: WriteStream | undefined;

  constructor(root: string, sessionId: string) {
    this.sessionId = sessionId;
    this.#root = root;
    this.dir = path.join(root, sessionId);
    this.workspaceDir = path.join(this.dir, "workspace");
  }

  /** True while the runner process is alive. */
  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get exitCode(): number | null {
    return this.#exitCode;
  }

  get signal(): string | null {
    return this.#signal;
  }

  /** Creates the directories and starts the runner with only the given env plus the sandbox layout. */
  async start(env: Record<string, string>, launch: RunnerLaunch): Promise<void> {
    const home = path.join(this.dir, "home");
    const tmp = path.join(this.dir, "tmp");
    await Promise.all([this.workspaceDir, home, tmp].map((d) => mkdir(d, { recursive: true })));

    // Nothing from the host's own environment (it may hold secrets) except PATH.
    const childEnv: Record<string, string> = {
      PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
      CLAUDE_BIN: launch.claudeBin,
    };
    for (const [name, value] of Object.entries(env)) {
      if (!HOST_OWNED.includes(name) && !SECRETS.includes(name)) childEnv[name] = value;
    }
    const launched = launchWithWorkspace(this.workspaceDir, launch.nodeBin, [launch.runnerMain]);
    Object.assign(childEnv, {
      [SANDBOX_MARKER]: this.dir,
      HOME: home,
      WORKSPACE_DIR: launched.workspace,
      CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
      TMPDIR: tmp,
    });
    delete childEnv["NODE_OPTIONS"];
    let secrets: SecretsHandoff | undefined;
    if (env["RUNNER_TOKEN"]) {
      const gateway = env["GATEWAY_TOKEN"];
      secrets = await writeRunnerSecrets(this.#root, this.sessionId, {
        RUNNER_TOKEN: env["RUNNER_TOKEN"],
        ...(gateway ? { GATEWAY_TOKEN: gateway } : {}),
      });
      childEnv["RUNNER_SECRETS_FILE"] = secrets.path;
    }

    this.#exitCode = null;
    this.#signal = null;
    this.#log = createWriteStream(path.join(this.dir, "runner.log"), { flags: "a" });
    // detached: the runner leads a new process group, so stop() reaches everything it started.
    let child: ChildProcess;
    try {
      child = spawn(launched.command, launched.args, {
        cwd: this.dir,
        env: childEnv,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      await secrets?.discard();
      throw error;
    }
    this.#child = child;
    const log = this.#log;
    const forward = (chunk: Buffer): void => {
      log.write(chunk);
      if (launch.echoLogs) {
        for (const line of chunk.toString("utf8").split("\n")) if (line) process.stderr.write(`[${this.sessionId}] ${line}\n`);
      }
    };
    child.stdout!.on("data", forward);
    child.stderr!.on("data", forward);
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        // Normally gone already: the runner deletes it first thing. Not if it died before that.
        void secrets?.discard();
        this.#exitCode = code;
        this.#signal = signal;
        log.write(`sandbox host: the runner exited (${signal ? `signal ${signal}` : `code ${code}`})\n`);
        log.end();
        // Whatever the runner started dies with it: an orphaned agent would go on calling the
        // model (billed) with nobody reading its output. Claude Code leads its own group, so
        // the sweep by SANDBOX_MARKER reaches it too (setpriv's parent-death signal normally has).
        if (child.pid) signalGroup(child.pid, "SIGKILL");
        void killProcessesWithEnv(SANDBOX_MARKER, this.dir).finally(resolve);
      });
      child.once("error", (err) => {
        log.write(`sandbox host: could not start the runner: ${err.message}\n`);
        void secrets?.discard();
        this.#exitCode = null;
        log.end();
        resolve();
      });
    });
  }

  /** Stops the runner and everything it started: SIGTERM to the group, SIGKILL after 3 s. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child?.pid) return;
    const pgid = child.pid;
    if (this.running) {
      signalGroup(pgid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pgid, "SIGKILL"), STOP_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    // Leftovers: group members that outlived the runner, and processes that left the group
    // (setsid, daemonised shells) but still carry this sandbox's marker.
    signalGroup(pgid, "SIGKILL");
    await killProcessesWithEnv(SANDBOX_MARKER, this.dir);
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}
