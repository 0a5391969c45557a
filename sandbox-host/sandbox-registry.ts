// SandboxRegistry: the sandboxes one host runs, by session id. Creation is idempotent and
// serialised per id, so two racing POSTs start one runner.
import type { SandboxCreated, SandboxState } from "../schemas/runner.ts";
import { LocalSandbox, type RunnerLaunch } from "./local-sandbox.ts";
import type { Sandbox, SandboxBackend, SandboxFactory } from "./sandbox.ts";
import { WarmPool, type WarmSandbox } from "./warm-pool.ts";

/** The default backend: each runner a local child process. */
const PROCESS_BACKEND: SandboxBackend = {
  create: (root, sessionId) => new LocalSandbox(root, sessionId),
  startWarm: (root, launch) => LocalSandbox.startWarm(root, launch),
};

/** All sandboxes of one host. */
export class SandboxRegistry {
  #root: string;
  #launch: RunnerLaunch;
  #factory: SandboxFactory;
  #sandboxes = new Map<string, Sandbox>();
  #pending = new Map<string, Promise<{ created: boolean; info: SandboxCreated }>>();
  #pool: WarmPool<Sandbox & WarmSandbox> | undefined;
  #poolSize: number;

  /**
   * `backend`: a local child process unless told otherwise (container mode).
   * `warmSandboxes`: how many started sandboxes of that backend to keep waiting for new sessions (warm-pool.ts).
   */
  constructor(root: string, launch: RunnerLaunch, backend: SandboxBackend = PROCESS_BACKEND, warmSandboxes = 0) {
    this.#root = root;
    this.#launch = launch;
    this.#factory = backend.create;
    this.#poolSize = warmSandboxes;
    if (warmSandboxes > 0) {
      this.#pool = new WarmPool<Sandbox & WarmSandbox>({ size: warmSandboxes, start: () => backend.startWarm(root, launch) });
      this.#pool.fill();
    }
  }

  /** The warm pool's size and how many of its sandboxes are ready now. */
  pool(): { size: number; ready: number } {
    return { size: this.#poolSize, ready: this.#pool?.ready ?? 0 };
  }

  /** Starts the session's runner, or returns the running one (`created: false`). */
  ensure(sessionId: string, env: Record<string, string>): Promise<{ created: boolean; info: SandboxCreated }> {
    const inFlight = this.#pending.get(sessionId);
    if (inFlight) return inFlight.then((r) => ({ created: false, info: r.info }));
    const work = this.#ensure(sessionId, env).finally(() => this.#pending.delete(sessionId));
    this.#pending.set(sessionId, work);
    return work;
  }

  async #ensure(sessionId: string, env: Record<string, string>): Promise<{ created: boolean; info: SandboxCreated }> {
    const existing = this.#sandboxes.get(sessionId);
    if (existing?.running) return { created: false, info: created(existing) };
    // A stopped one's processes are swept first: a warm sandbox takes over its files (local-sandbox.ts `claim`).
    if (existing) await existing.exited;
    const warm = await this.#pool?.claim(sessionId, env);
    if (warm) {
      this.#sandboxes.set(sessionId, warm);
      return { created: true, info: created(warm) };
    }
    // A stopped sandbox starts again in the same directories (files and conversation kept).
    const sandbox = existing ?? this.#factory(this.#root, sessionId);
    this.#sandboxes.set(sessionId, sandbox);
    await sandbox.start(env, this.#launch);
    if (sandbox.pid === undefined) throw new Error("the runner process could not be started");
    return { created: true, info: created(sandbox) };
  }

  /** The sandbox's state, or undefined when this host never started it. */
  get(sessionId: string): SandboxState | undefined {
    const sandbox = this.#sandboxes.get(sessionId);
    if (!sandbox) return undefined;
    return {
      session_id: sandbox.sessionId,
      running: sandbox.running,
      exit_code: sandbox.exitCode,
      signal: sandbox.signal,
      workspace_dir: sandbox.workspaceDir,
    };
  }

  /** Stops the session's runner and its processes; false when unknown. */
  async stop(sessionId: string): Promise<boolean> {
    await this.#pending.get(sessionId)?.catch(() => undefined);
    const sandbox = this.#sandboxes.get(sessionId);
    if (!sandbox) return false;
    await sandbox.stop();
    return true;
  }

  /** Stops every sandbox, the warm ones too. */
  async stopAll(): Promise<void> {
    await this.#pool?.close();
    await Promise.allSettled([...this.#pending.values()]); // a claim under way lands in the map first
    await Promise.all([...this.#sandboxes.keys()].map((id) => this.stop(id)));
  }
}

function created(sandbox: Sandbox): SandboxCreated {
  return { session_id: sandbox.sessionId, workspace_dir: sandbox.workspaceDir, pid: sandbox.pid!, running: true };
}
