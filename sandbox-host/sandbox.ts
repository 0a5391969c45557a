// What the sandbox registry needs of one session's sandbox, whichever backend runs it: a child
// process on this machine (local-sandbox.ts, the default) or a container of the production
// image (container-sandbox.ts, `--sandbox container`).
import type { RunnerLaunch } from "./local-sandbox.ts";
import type { WarmSandbox } from "./warm-pool.ts";

/** One session's sandbox: start its runner, watch it, stop it. */
export interface Sandbox {
  readonly sessionId: string;
  /** The workspace on this machine (the agent sees it as /workspace). */
  readonly workspaceDir: string;
  /** The pid of the runner (process mode) or of the engine's `run` client (container mode). */
  readonly pid: number | undefined;
  /** True while the runner is alive. */
  readonly running: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Resolves once the runner has exited and its processes (or container) are gone. */
  readonly exited: Promise<void>;
  /** Starts the runner with the session's environment; a stopped sandbox starts again with its files kept. */
  start(env: Record<string, string>, launch: RunnerLaunch): Promise<void>;
  /** Stops the runner and everything it started. */
  stop(): Promise<void>;
}

/** Makes the sandbox of `sessionId` under `root`. */
export type SandboxFactory = (root: string, sessionId: string) => Sandbox;

/** A backend: how it makes a session's sandbox, and how it starts a warm one for the pool (warm-pool.ts). */
export type SandboxBackend = {
  create: SandboxFactory;
  startWarm: (root: string, launch: RunnerLaunch) => Promise<Sandbox & WarmSandbox>;
};
