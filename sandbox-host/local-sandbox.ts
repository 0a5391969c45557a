// LocalSandbox: one session's runner as a child process in its own process group, with its own
// workspace, home and temp directories. The development/test stand-in for a container.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { killProcessesWithEnv } from "./process-sweep.ts";
import { WARM_RUNNER_VAR, type WarmClaim } from "../schemas/warm-claim.ts";
import { AGENT_WORKSPACE, launchWithWorkspace } from "./workspace-mount.ts";
import { writeRunnerSecrets, type SecretsHandoff } from "./runner-secrets.ts";

/**
 * Every process of a sandbox inherits this variable with the sandbox's directory as its value:
 * the sweep finds escaped processes by it (WORKSPACE_DIR is /workspace in every sandbox now).
 * A runner from the warm pool keeps its warm directory's; what it starts once claimed has the
 * session's.
 */
const SANDBOX_MARKER = "AI_SESSIONS_SANDBOX";

/** Where the runner and Claude Code come from. */
export type RunnerLaunch = { nodeBin: string; runnerMain: string; claudeBin: string; echoLogs: boolean };

// Fixed by the host: the request's env cannot move a sandbox out of its directory, nor point the
// runner at a secrets file of its choosing (the runner deletes that file).
const HOST_OWNED = ["HOME", "WORKSPACE_DIR", "CLAUDE_CONFIG_DIR", "TMPDIR", "RUNNER_SECRETS_FILE", SANDBOX_MARKER, WARM_RUNNER_VAR];
// Given to the runner in a file, never in its environment (runner-secrets.ts).
const SECRETS = ["RUNNER_TOKEN", "GATEWAY_TOKEN"];

const STOP_GRACE_MS = 3_000;

/** A started sandbox and what became of its runner. */
export class LocalSandbox {
  #sessionId: string;
  #dir: string;
  #root: string;
  /**
   * The value of SANDBOX_MARKER the runner carries: its first directory. A warm one's is renamed
   * on claim, and what the runner starts after it carries the session's directory (sweep both).
   */
  #marker: string;
  #child: ChildProcess | undefined;
  #exitCode: number | null = null;
  #signal: string | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log: WriteStream | undefined;
  #secrets: SecretsHandoff | undefined;
  /** Where the agent sees its workspace: /workspace when mounted there, else the real directory. */
  #agentWorkspace: string | undefined;
  /** Set while a warm runner waits for its claim (warm-pool.ts); cleared by the claim. */
  #warm = false;
  /** Set once a claim began: from then on its directory may hold a session's files. */
  #claimed = false;
  /** Set once the runner has its claim: what it starts from then on carries the session's marker. */
  #delivered = false;

  /** `sessionId`: the session's id, or a warm sandbox's own `.warm-…` name until a session claims it. */
  constructor(root: string, sessionId: string) {
    this.#sessionId = sessionId;
    this.#root = root;
    this.#dir = path.join(root, sessionId);
    this.#marker = this.#dir;
  }

  /** Starts a warm sandbox: a runner of no session, waiting for its claim (warm-pool.ts). */
  static async startWarm(root: string, launch: RunnerLaunch): Promise<LocalSandbox> {
    // A dot: no session id has one, so no session's directory (nor the API) can name it.
    const sandbox = new LocalSandbox(root, `.warm-${randomBytes(8).toString("hex")}`);
    await sandbox.#launch({}, launch, true);
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

  /** Resolves once the runner has exited and its processes are swept. */
  get exited(): Promise<void> {
    return this.#exited;
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
    await this.#launch(env, launch, false);
  }

  /**
   * Gives this warm sandbox to a session: its directory becomes `<root>/<sessionId>` (the runner's
   * /workspace mount follows it), then the runner gets the session's variables and the path of
   * its secrets file on stdin, as a cold start gets them in its environment. A session that ran
   * on this root before (a stopped sandbox woken, a host restarted on the same root) keeps its
   * directory and files: they move into this sandbox (adopt). False when this one is not warm.
   */
  async claim(sessionId: string, env: Record<string, string>): Promise<boolean> {
    const stdin = this.#child?.stdin;
    if (!this.#warm || !this.running || !stdin) return false;
    this.#warm = false; // from here on it is this session's or nobody's: never claimed twice
    this.#claimed = true;
    const target = path.join(this.#root, sessionId);
    const fresh = await mkdir(target).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") return false;
        throw error;
      },
    );
    if (fresh)
      await rename(this.#dir, target); // onto the empty directory just made
    else await this.#adopt(target);
    this.#dir = target;
    this.#sessionId = sessionId;
    // Claude Code and the agent's tools, started after this, carry the session's own directory.
    const claimEnv: Record<string, string> = { ...sessionVariables(env), ...this.#layout(), [SANDBOX_MARKER]: target };
    this.#secrets = await this.#handOverSecrets(env);
    if (this.#secrets) claimEnv["RUNNER_SECRETS_FILE"] = this.#secrets.path;
    const claim: WarmClaim = { env: claimEnv };
    // Delivered, or the claim fails: a runner whose stdin is already closed (it died, or read a
    // claim from someone else) must not be taken for this session's.
    await new Promise<void>((resolve, reject) =>
      stdin.end(`${JSON.stringify(claim)}\n`, (error?: Error | null) => (error ? reject(error) : resolve())),
    );
    this.#delivered = true;
    return true;
  }

  /**
   * Moves into the session's existing directory `target`, keeping everything in it: its
   * workspace's entries move into this runner's workspace directory (the one mounted on its
   * /workspace), which then takes the old one's place; home and temp stay the session's. What
   * the warm sandbox made itself (its home, holding the CLI probe's config) is dropped.
   */
  async #adopt(target: string): Promise<void> {
    const oldWorkspace = path.join(target, "workspace");
    // What the agent left in the workspace's place, if not a directory (a link to elsewhere on
    // the host, say, where there is no /workspace mount), is removed, never followed.
    const found = await lstat(oldWorkspace).catch(() => null);
    if (found && !found.isDirectory()) await rm(oldWorkspace, { force: true });
    await Promise.all(["workspace", "home", "tmp"].map((name) => mkdir(path.join(target, name), { recursive: true })));
    for (const name of await readdir(oldWorkspace)) await rename(path.join(oldWorkspace, name), path.join(this.workspaceDir, name));
    await rmdir(oldWorkspace);
    await rename(this.workspaceDir, oldWorkspace);
    // The runner's log goes on in the session's own log, after what the warm runner wrote.
    const warmLog = this.#log;
    this.#log = createWriteStream(path.join(target, "runner.log"), { flags: "a" });
    if (warmLog) await new Promise<void>((resolve) => warmLog.end(resolve));
    this.#log.write(await readFile(path.join(this.#dir, "runner.log")).catch(() => Buffer.alloc(0)));
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #launch(env: Record<string, string>, launch: RunnerLaunch, warm: boolean): Promise<void> {
    const home = path.join(this.#dir, "home");
    const tmp = path.join(this.#dir, "tmp");
    await Promise.all([this.workspaceDir, home, tmp].map((d) => mkdir(d, { recursive: true })));

    // Nothing from the host's own environment (it may hold secrets) except PATH.
    const childEnv: Record<string, string> = {
      PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
      CLAUDE_BIN: launch.claudeBin,
      ...sessionVariables(env),
    };
    const launched = launchWithWorkspace(this.workspaceDir, launch.nodeBin, [launch.runnerMain]);
    this.#agentWorkspace = launched.workspace === AGENT_WORKSPACE ? AGENT_WORKSPACE : undefined;
    Object.assign(childEnv, { [SANDBOX_MARKER]: this.#marker }, this.#layout());
    if (warm) childEnv[WARM_RUNNER_VAR] = "1";
    this.#secrets = warm ? undefined : await this.#handOverSecrets(env);
    if (this.#secrets) childEnv["RUNNER_SECRETS_FILE"] = this.#secrets.path;

    this.#exitCode = null;
    this.#signal = null;
    this.#warm = warm;
    this.#log = createWriteStream(path.join(this.#dir, "runner.log"), { flags: "a" });
    // detached: the runner leads a new process group, so stop() reaches everything it started.
    let child: ChildProcess;
    try {
      child = spawn(launched.command, launched.args, {
        // Its workspace, as in the container: a claim moves that directory along (never removes
        // it), while a warm sandbox's own directory goes when it takes over a stopped session's.
        cwd: this.workspaceDir,
        env: childEnv,
        detached: true,
        // A warm runner reads its claim on stdin (warm-start.ts); others read nothing.
        stdio: [warm ? "pipe" : "ignore", "pipe", "pipe"],
      });
    } catch (error) {
      await this.#secrets?.discard();
      throw error;
    }
    this.#child = child;
    child.stdin?.on("error", () => undefined); // EPIPE: the runner died before its claim; 'exit' reports it
    // this.#log, not a copy: a claim that adopts an existing directory moves the log there.
    const forward = (chunk: Buffer): void => {
      this.#log?.write(chunk);
      if (launch.echoLogs) {
        for (const line of chunk.toString("utf8").split("\n")) if (line) process.stderr.write(`[${this.#sessionId}] ${line}\n`);
      }
    };
    child.stdout!.on("data", forward);
    child.stderr!.on("data", forward);
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        // Normally gone already: the runner deletes it first thing. Not if it died before that.
        void this.#secrets?.discard();
        this.#warm = false;
        this.#exitCode = code;
        this.#signal = signal;
        this.#log?.write(`sandbox host: the runner exited (${signal ? `signal ${signal}` : `code ${code}`})\n`);
        this.#log?.end();
        // Whatever the runner started dies with it: an orphaned agent would go on calling the
        // model (billed) with nobody reading its output. Claude Code leads its own group, so
        // the sweep by SANDBOX_MARKER reaches it too (setpriv's parent-death signal normally has).
        if (child.pid) signalGroup(child.pid, "SIGKILL");
        void this.#sweep().finally(resolve);
      });
      child.once("error", (err) => {
        this.#log?.write(`sandbox host: could not start the runner: ${err.message}\n`);
        void this.#secrets?.discard();
        this.#warm = false;
        this.#exitCode = null;
        this.#log?.end();
        resolve();
      });
    });
  }

  /** The sandbox's layout as the runner sees it, from its current directory. */
  #layout(): Record<string, string> {
    const home = path.join(this.#dir, "home");
    return {
      HOME: home,
      WORKSPACE_DIR: this.#agentWorkspace ?? this.workspaceDir,
      CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
      TMPDIR: path.join(this.#dir, "tmp"),
    };
  }

  /** Writes the request's tokens to a secrets file for the runner (runner-secrets.ts), if it sent any. */
  async #handOverSecrets(env: Record<string, string>): Promise<SecretsHandoff | undefined> {
    if (!env["RUNNER_TOKEN"]) return undefined;
    const gateway = env["GATEWAY_TOKEN"];
    return writeRunnerSecrets(this.#root, this.#sessionId, {
      RUNNER_TOKEN: env["RUNNER_TOKEN"],
      ...(gateway ? { GATEWAY_TOKEN: gateway } : {}),
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
    await this.#sweep();
  }

  /** Kills every process carrying this sandbox's marker: its first directory's, and its current one's. */
  async #sweep(): Promise<void> {
    const markers = new Set([this.#marker, ...(this.#delivered || !this.#claimed ? [this.#dir] : [])]);
    await Promise.all([...markers].map((marker) => killProcessesWithEnv(SANDBOX_MARKER, marker)));
  }

  /** Stops an unclaimed warm sandbox and deletes its directory (it never held anything of a session's). */
  async discardWarm(): Promise<void> {
    await this.stop();
    // A claim that failed half-way may have moved a session's files in: those are left alone.
    if (!this.#claimed) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The request's variables a runner may get: none the host owns, and no secret (those go in a file). */
function sessionVariables(env: Record<string, string>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!HOST_OWNED.includes(name) && !SECRETS.includes(name) && name !== "NODE_OPTIONS") variables[name] = value;
  }
  return variables;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}
