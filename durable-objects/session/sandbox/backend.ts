/**
 * Where a session's runner runs. Two implementations behind this one interface: a Cloudflare
 * Container in production, and the local sandbox host (a child process per session) for
 * development and tests, where no Docker engine exists. The runner code is identical in both.
 */

/** What the session needs from a sandbox. */
export interface SandboxBackend {
  /** Starts the runner with `env` (idempotent: an already running sandbox is left alone). */
  start(env: Record<string, string>): Promise<void>;
  /** Stops the runner and everything it started. */
  stop(): Promise<void>;
  /** Whether the runner process is still alive, and how it ended if not. */
  describe(): Promise<RunnerProcessState>;
}

/**
 * The runner process as its sandbox sees it: `signal` names what killed it, when one did; `lost`
 * when the sandbox has no record of it at all (its host restarted: sandbox-loss.ts resumes it).
 */
export type RunnerProcessState = { running: boolean; exitCode: number | null; signal: string | null; lost?: boolean };

/** The session's end detail for a runner that is gone: how it died, as far as the sandbox knows. */
export function runnerExitDetail(state: RunnerProcessState): string {
  if (state.signal) return `the runner was killed by ${state.signal}`;
  return `the runner exited${state.exitCode === null ? "" : ` with code ${state.exitCode}`}`;
}
