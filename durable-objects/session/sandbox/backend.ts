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
  /** Whether the runner process is still alive, and its exit code if not. */
  describe(): Promise<{ running: boolean; exitCode: number | null }>;
}
