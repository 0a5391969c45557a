/**
 * Whether the session's runner is ready for work that touches the workspace (a file transfer),
 * and waiting until it is. Ready means: a runner is connected and has said hello, and the session
 * is awake — not dormant, not waking, not restoring. The restore replaces the workspace, so a
 * transfer sent before its `archive_result` would be lost or overwritten; `awake()` (hibernation.ts)
 * clears `dormant` only once the restore has answered (or timed out).
 *
 * The session DO calls `changed()` where readiness may change (a runner configured, the session
 * ended); each waiter then checks again. Waiters live in memory: the request that waits keeps the
 * object alive, and every waiter is removed when it settles (ready, ended, or its timeout).
 */
import { helloedRunner } from "./client-sockets.ts";
import type { SessionState } from "./session-state.ts";

/** Where the runner stands for a request that needs it. */
export type Readiness = { kind: "ready"; runner: WebSocket } | { kind: "ended" } | { kind: "waiting" };
/** How a wait ended. */
export type ReadyOutcome = Exclude<Readiness, { kind: "waiting" }> | { kind: "timeout" };

/** Readiness of `state` with `runner` (the open runner socket, if any). */
export function readiness(state: SessionState | null, runner: WebSocket | null): Readiness {
  if (!state || state.status === "ended") return { kind: "ended" };
  const step = state.hibernation?.phase;
  if (state.dormant || step === "waking" || step === "restoring") return { kind: "waiting" };
  const helloed = helloedRunner(runner);
  return helloed ? { kind: "ready", runner: helloed } : { kind: "waiting" };
}

/** The requests waiting for the runner to be ready. */
export class RunnerReadyWaiters {
  readonly #check: () => Readiness;
  readonly #waiters = new Set<() => void>();

  constructor(check: () => Readiness) {
    this.#check = check;
  }

  /** Where the runner stands now. */
  now(): Readiness {
    return this.#check();
  }

  /** Resolves at once when the runner is ready or the session ended; otherwise when that changes, or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<ReadyOutcome> {
    const now = this.#check();
    if (now.kind !== "waiting") return Promise.resolve(now);
    return new Promise((resolve) => {
      const settle = (outcome: ReadyOutcome) => {
        clearTimeout(timer);
        this.#waiters.delete(recheck);
        resolve(outcome);
      };
      const recheck = () => {
        const current = this.#check();
        if (current.kind !== "waiting") settle(current);
      };
      const timer = setTimeout(() => settle({ kind: "timeout" }), timeoutMs);
      this.#waiters.add(recheck);
    });
  }

  /** Readiness may have changed: every waiter checks again. */
  changed(): void {
    for (const recheck of [...this.#waiters]) recheck();
  }

  /** How many requests wait (for tests and diagnostics). */
  get size(): number {
    return this.#waiters.size;
  }
}
