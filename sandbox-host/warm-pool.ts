// A pool of warm sandboxes: runners started ahead of demand, each waiting with an empty
// workspace and no session, so creating a session skips starting a sandbox and its runner
// (Node's start, loading the runner, probing Claude Code). A session claims a ready one; the
// pool starts its replacement a few seconds later, in the background. Size 0 disables it.
//
// What keeps it safe (the agent in a sandbox is assumed hostile once it runs):
// - a warm sandbox holds nothing of any session until its claim: no id, no token, no workspace;
//   the claim hands over the session's tokens the way a cold start does (a 0600 secrets file);
// - one sandbox is taken out of the pool before its claim starts, so it is never given twice,
//   and a claimed one never comes back (the session's sandbox is stopped, not returned);
// - close() stops every warm sandbox, including those still starting.
//
// Generic over the backend: anything that can start warm and be claimed fits (LocalSandbox,
// ContainerSandbox). A backend whose warm sandboxes cannot serve every session says which they
// can (`fits`): a session they do not fit starts cold, and the warm one stays for the next.

/** What the pool needs of a backend's sandbox. */
export interface WarmSandbox {
  /** True while its runner lives. */
  readonly running: boolean;
  /** Resolves once its runner has exited. */
  readonly exited: Promise<void>;
  /** Makes it the session's sandbox; false when it is no longer warm (its runner died). */
  claim(sessionId: string, env: Record<string, string>): Promise<boolean>;
  /** Stops it and removes what it made, as it was never claimed. */
  discardWarm(): Promise<void>;
  /** Whether it may serve this session (absent: any); one that does not stays in the pool. */
  fits?(sessionId: string, env: Record<string, string>): boolean;
}

/** Options of a WarmPool. */
export type WarmPoolOptions<T extends WarmSandbox> = {
  /** Sandboxes kept ready; 0 disables the pool. */
  size: number;
  /** Starts one warm sandbox. */
  start: () => Promise<T>;
  /** How long after a warm sandbox failed (to start, or died unclaimed) the pool tries again. */
  retryDelayMs?: number;
  /**
   * How long after a claim its replacement starts. Starting one (Node, the runner, the CLI probe)
   * takes a core for about a second: right away, it competed with the claimed session's own
   * start (Claude Code's, a restore) on a small machine and slowed the very start the pool speeds up.
   */
  refillDelayMs?: number;
  /** Where the pool reports what went wrong (the host's stderr). */
  report?: (message: string) => void;
};

const DEFAULT_RETRY_DELAY_MS = 2_000;
const DEFAULT_REFILL_DELAY_MS = 2_000;

/** The ready sandboxes of one host and their replacements. */
export class WarmPool<T extends WarmSandbox> {
  #size: number;
  #start: () => Promise<T>;
  #retryDelayMs: number;
  #refillDelayMs: number;
  #report: (message: string) => void;
  #ready: T[] = [];
  #starting = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WarmPoolOptions<T>) {
    if (!Number.isInteger(options.size) || options.size < 0)
      throw new Error(`warm pool size must be a whole number ≥ 0, not ${options.size}`);
    this.#size = options.size;
    this.#start = options.start;
    this.#retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.#refillDelayMs = options.refillDelayMs ?? DEFAULT_REFILL_DELAY_MS;
    this.#report = options.report ?? ((message) => process.stderr.write(`sandbox host: ${message}\n`));
  }

  /** Sandboxes ready to be claimed now. */
  get ready(): number {
    return this.#ready.length;
  }

  /** Starts sandboxes until the pool is full; returns at once (they start in the background). */
  fill(): void {
    while (!this.#closed && this.#ready.length + this.#starting.size < this.#size) {
      const starting: Promise<void> = this.#start().then(
        (sandbox) => {
          this.#starting.delete(starting);
          return this.#started(sandbox);
        },
        (error: unknown) => {
          this.#starting.delete(starting);
          this.#report(`a warm sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
          this.#fillAfter(this.#retryDelayMs);
        },
      );
      this.#starting.add(starting);
    }
  }

  /**
   * A ready sandbox made the session's, or undefined when none is ready: the caller then starts
   * one cold. Starts a replacement in the background.
   */
  async claim(sessionId: string, env: Record<string, string>): Promise<T | undefined> {
    for (;;) {
      // Taken out before the claim's first await: no other claim can reach this one.
      const index = this.#ready.findIndex((s) => !s.running || (s.fits?.(sessionId, env) ?? true));
      if (index < 0) return undefined;
      const [sandbox] = this.#ready.splice(index, 1) as [T];
      if (!sandbox.running) {
        void this.#dropDead(sandbox);
        continue;
      }
      let claimed = false;
      try {
        claimed = await sandbox.claim(sessionId, env);
      } catch (error) {
        this.#report(`claiming a warm sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
        // Gone before the caller starts the session's sandbox another way.
        await this.#dropDead(sandbox);
        continue;
      }
      if (claimed) {
        this.#fillAfter(this.#refillDelayMs);
        return sandbox;
      }
      void this.#dropDead(sandbox);
    }
  }

  /** Stops every warm sandbox, the ones still starting too; the pool starts no more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const ready = this.#ready.splice(0);
    // One still starting is discarded by #started when it arrives: wait for that too.
    await Promise.all([...ready.map((s) => s.discardWarm()), ...this.#starting]);
  }

  async #started(sandbox: T): Promise<void> {
    if (this.#closed) return sandbox.discardWarm();
    this.#ready.push(sandbox);
    // A runner that dies while waiting is dropped and, after a pause, replaced.
    void sandbox.exited.then(() => {
      const index = this.#ready.indexOf(sandbox);
      if (index < 0) return; // claimed, or already dropped
      this.#ready.splice(index, 1);
      void this.#dropDead(sandbox);
    });
  }

  /** Forgets a warm sandbox that died (or failed its claim) unclaimed, and replaces it after a pause. */
  #dropDead(sandbox: T): Promise<void> {
    this.#report("a warm sandbox was lost unclaimed; starting another");
    this.#fillAfter(this.#retryDelayMs);
    return sandbox.discardWarm();
  }

  /** Fills the pool after `ms` (one timer at a time: an earlier one already set stands). */
  #fillAfter(ms: number): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.fill();
    }, ms);
    this.#timer.unref();
  }
}
