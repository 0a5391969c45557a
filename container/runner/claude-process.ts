// ClaudeProcess: one long-lived Claude Code child process speaking stream-json on stdin/stdout.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import readline from "node:readline";
import { NEUTRAL_CWD, spawnIdentity, withSpawnPrivilege, type AgentUser } from "./agent-user.ts";
import type { ClaudeInput } from "./claude-protocol.ts";
import { parseCapabilities, type ClaudeCapabilities } from "./claude-command.ts";
import type { Logger } from "./log.ts";
import { dieWithParent } from "./parent-death.ts";

/** How the process ended. `stderrTail` is the last stderr output (for the `agent_exited` error). */
export type ClaudeExit = { code: number | null; signal: string | null; stderrTail: string; spawnError?: string };

/** What starts one process; `user`: run it as this user rather than the runner's own. */
export type ClaudeSpawnSpec = { bin: string; args: string[]; cwd: string; env: Record<string, string>; user: AgentUser | undefined };

/** Callbacks of a ClaudeProcess. */
export type ClaudeProcessHandlers = {
  /** One parsed stdout line. */
  onMessage(message: unknown): void;
  /** The process is gone (exit, signal, or failure to spawn); called exactly once. */
  onExit(exit: ClaudeExit): void;
};

const STDERR_TAIL_CHARS = 2_000;

/** A running Claude Code process; stdin stays open across turns so one conversation spans them. */
export class ClaudeProcess {
  readonly pid: number | undefined;
  #child: ChildProcessWithoutNullStreams;
  #log: Logger;
  #exited = false;
  #stderrTail = "";
  #exitPromise: Promise<void>;

  constructor(spec: ClaudeSpawnSpec, handlers: ClaudeProcessHandlers, log: Logger) {
    this.#log = log;
    // Dies with the runner (parent-death signal), and leads its own process group so stop()
    // reaches the tools it started too.
    const command = dieWithParent({ bin: spec.bin, args: spec.args }, log);
    this.#child = withSpawnPrivilege(spec.user, () =>
      spawn(command.bin, command.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
        ...spawnIdentity(spec.user),
      }),
    );
    this.pid = this.#child.pid;
    let resolveExit!: () => void;
    this.#exitPromise = new Promise((resolve) => (resolveExit = resolve));

    const finish = (exit: ClaudeExit): void => {
      if (this.#exited) return;
      this.#exited = true;
      resolveExit();
      handlers.onExit(exit);
    };

    readline.createInterface({ input: this.#child.stdout, crlfDelay: Infinity }).on("line", (line) => {
      if (!line.trim()) return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.#log.warn("non-JSON line on claude stdout", { line: line.slice(0, 200) });
        return;
      }
      handlers.onMessage(message);
    });
    this.#child.stderr.setEncoding("utf8");
    this.#child.stderr.on("data", (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      for (const line of chunk.split("\n")) if (line.trim()) this.#log.info(`claude: ${line}`);
    });
    // EPIPE after the process died is reported through 'exit'; do not crash the runner on it.
    this.#child.stdin.on("error", (err) => this.#log.debug("claude stdin error", { error: err.message }));
    this.#child.on("error", (err) => {
      finish({ code: null, signal: null, stderrTail: this.#stderrTail, spawnError: err.message });
    });
    // 'close' (not 'exit') so the last stdout lines are delivered before onExit; but a grandchild
    // that inherited the pipes could hold 'close' back forever, so 'exit' arms a fallback.
    this.#child.on("close", (code, signal) => {
      finish({ code, signal, stderrTail: this.#stderrTail });
    });
    this.#child.on("exit", (code, signal) => {
      setTimeout(() => finish({ code, signal, stderrTail: this.#stderrTail }), 500).unref();
    });
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return !this.#exited;
  }

  /** Writes one stream-json message; false when the process is gone. */
  write(message: ClaudeInput): boolean {
    if (this.#exited || !this.#child.stdin.writable) return false;
    this.#child.stdin.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  /** Stops the process and its group: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.#exited) return;
    this.#child.stdin.end();
    this.#signal("SIGTERM");
    const timer = setTimeout(() => {
      if (!this.#exited) this.#signal("SIGKILL");
    }, graceMs);
    await this.#exitPromise;
    clearTimeout(timer);
  }

  /** Signals the whole process group Claude Code leads; the process alone if that fails. */
  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    try {
      if (pid === undefined) throw new Error("no pid");
      process.kill(-pid, signal);
    } catch {
      this.#child.kill(signal);
    }
  }
}

/**
 * Probes the CLI's flags once with `--help`, in a directory that exists (NEUTRAL_CWD): the
 * runner's own may be gone. Runs as the agent user too: the CLI may write to its config
 * directory, which must stay the agent's. A probe that fails assumes the flags, so a configured
 * limit is passed on (parseCapabilities); trying again would only delay the first turn.
 */
export async function probeClaudeCapabilities(
  bin: string,
  env: Record<string, string>,
  user: AgentUser | undefined,
  log: Logger,
): Promise<ClaudeCapabilities> {
  const helpText = await claudeHelp(bin, env, user).catch((error: Error) => {
    log.warn("claude --help failed; passing --max-budget-usd on as configured", { error: error.message });
    return undefined;
  });
  const capabilities = parseCapabilities(helpText);
  log.info("claude capabilities", capabilities);
  return capabilities;
}

/** The output of `claude --help`; rejects when it fails. */
function claudeHelp(bin: string, env: Record<string, string>, user: AgentUser | undefined): Promise<string> {
  const options = { cwd: NEUTRAL_CWD, env, timeout: 20_000, maxBuffer: 4 * 1024 * 1024, ...spawnIdentity(user) };
  return new Promise((resolve, reject) => {
    withSpawnPrivilege(user, () =>
      execFile(bin, ["--help"], options, (error, stdout) => (error ? reject(error) : resolve(String(stdout)))),
    );
  });
}
