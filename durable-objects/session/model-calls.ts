/**
 * The session's model calls in flight, kept by its Durable Object so the budget and the
 * concurrency cap hold across parallel gateway requests (which run in different Worker
 * invocations and only meet here).
 *
 * Each admitted call holds a reservation of budget until the gateway settles it with what the
 * call really cost; admission counts what is spent *and* what is reserved, so N parallel
 * calls cannot all pass on the same unspent dollar. Rows live in SQLite, not memory: the
 * object may be evicted between a call's admission and its settlement.
 */

/**
 * Upstream calls one session may have open at once. Claude Code runs its main loop, a few
 * side requests (titles, summaries) and parallel sub-agents; eight leaves room for all of
 * them while bounding how many calls can overrun the budget together.
 */
export const MAX_CONCURRENT_MODEL_CALLS = 8;

/**
 * Budget one call reserves at admission, in USD (or the whole rest of the budget when less is
 * left). Roughly one long Sonnet answer (32k output tokens at $15/M is $0.48) on a cached
 * prompt: enough that a typical call settles below it, small enough that a few dollars of
 * budget still admit several calls at once.
 */
export const MODEL_CALL_RESERVATION_USD = 0.5;

/**
 * A reservation the gateway never settled (its Worker died mid-call) is dropped after this:
 * longer than any model call (the API's own streaming limit is 10 minutes).
 */
export const MODEL_CALL_LEASE_MS = 15 * 60_000;

/** Why a call was not admitted (the caller answers budget_exceeded with 400, the others with 429). */
export type CallRefusal = "too_many_calls" | "budget_reserved" | "budget_exceeded";

/** The open calls of one session. */
export class ModelCallLedger {
  readonly #sql: SqlStorage;
  #ready = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Admits one call when the cap and the budget allow, reserving its share; `spent` is what
   * the session has already spent, `budget` its cap (null: no cap). Synchronous from check to
   * insert, so no other admission can interleave.
   */
  open(now: number, spent: number, budget: number | null): { ok: true; callId: string } | { ok: false; refusal: CallRefusal } {
    this.#ensureTable();
    this.#sql.exec(`DELETE FROM model_calls WHERE expires_at <= ?`, now);
    const { open, reserved } = this.#sql
      .exec<{ open: number; reserved: number | null }>(`SELECT COUNT(*) AS open, SUM(reserved_usd) AS reserved FROM model_calls`)
      .one();
    if (budget !== null && spent >= budget) return { ok: false, refusal: "budget_exceeded" };
    if (open >= MAX_CONCURRENT_MODEL_CALLS) return { ok: false, refusal: "too_many_calls" };
    let reservation = MODEL_CALL_RESERVATION_USD;
    if (budget !== null) {
      const free = budget - spent - (reserved ?? 0);
      if (free <= 0) return { ok: false, refusal: "budget_reserved" };
      reservation = Math.min(reservation, free);
    }
    const callId = crypto.randomUUID();
    this.#sql.exec(
      `INSERT INTO model_calls (id, reserved_usd, expires_at) VALUES (?, ?, ?)`,
      callId,
      reservation,
      now + MODEL_CALL_LEASE_MS,
    );
    return { ok: true, callId };
  }

  /** Releases a call's reservation; false when it was unknown (already settled, or expired). */
  close(callId: string): boolean {
    this.#ensureTable();
    return this.#sql.exec(`DELETE FROM model_calls WHERE id = ?`, callId).rowsWritten > 0;
  }

  /** Created on first use, so an object that never served a model call stores nothing for it. */
  #ensureTable(): void {
    if (this.#ready) return;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS model_calls (id TEXT PRIMARY KEY, reserved_usd REAL NOT NULL, expires_at INTEGER NOT NULL)`);
    this.#ready = true;
  }
}

/** The message the gateway passes on to Claude Code with a refusal. */
export function refusalMessage(refusal: CallRefusal, budget: number | null): string {
  switch (refusal) {
    case "budget_exceeded":
      return `session budget of $${budget} exceeded`;
    case "budget_reserved":
      return `the rest of the session budget of $${budget} is reserved by model calls in flight; retry when they finish`;
    case "too_many_calls":
      return `at most ${MAX_CONCURRENT_MODEL_CALLS} model calls may run at once per session; retry when one finishes`;
  }
}
