/** Per-call options every SDK method accepts. */

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call (and any pending retry). */
  signal?: AbortSignal;
}
