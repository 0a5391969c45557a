/** The per-user quota Durable Object's boundary (`env.USER_QUOTA`): exact counters. */

/** The answer to "may this user do one more?". */
export interface QuotaDecision {
  allowed: boolean;
  /** Seconds until a slot frees up; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface UserQuotaRpc extends Rpc.DurableObjectBranded {
  /** Records one use of `bucket` if fewer than `limit` happened in the last `windowMs`. */
  take(bucket: string, limit: number, windowMs: number): QuotaDecision;
  /** Takes a live-session slot for `sessionId` unless `limit` are taken (idempotent per id). */
  claimSessionSlot(sessionId: string, limit: number): boolean;
  /** Frees the slot of an ended session. */
  releaseSessionSlot(sessionId: string): void;
  /** The owner's live sessions. */
  liveSessionIds(): string[];
}
