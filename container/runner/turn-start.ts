// TurnStart: whether a turn is starting (its prompt written to Claude Code, no answer from the
// model yet), the moment a person waits on. A checkpoint's gzip and upload run in the background
// of the next turn (workspace-archive.ts) and wait for this moment to pass: on the build machine
// (2 cores) running them at once made the next turn's first answer as late as the wait they save.
// They wait at most `MAX_WAIT_MS`, so a turn that never answers (a question to a person) cannot
// hold a checkpoint back.

/** Longest background work waits for a turn's first answer. */
export const MAX_WAIT_MS = 2_000;

export class TurnStart {
  #starting = false;
  #waiters: (() => void)[] = [];

  /** A prompt was written to Claude Code. */
  begin(): void {
    this.#starting = true;
  }

  /** The model answered (or the turn ended, or the agent exited): the start is over. */
  settle(): void {
    this.#starting = false;
    for (const release of this.#waiters.splice(0)) release();
  }

  /** Resolves when no turn is starting, or after `MAX_WAIT_MS`. */
  passed(): Promise<void> {
    if (!this.#starting) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, MAX_WAIT_MS);
      timer.unref();
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
