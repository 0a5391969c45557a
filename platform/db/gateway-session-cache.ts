/**
 * The model gateway's copy, per Worker isolate, of its one index read per model call: who owns
 * the session and the owner's sealed credential (credentials.ts `findGatewaySession`). A D1
 * round trip on every call was the gateway's longest wait before it could forward (6–8 ms of a
 * call's 15 ms through the gateway under `npm run bench`); a session's calls come in runs, so
 * the row is read again only once it is older than GATEWAY_ROW_TTL_MS.
 *
 * What it does not weaken: whether a call may go at all is still asked of the session's Durable
 * Object on every call (the token, an ended or expired session, the budget), so a terminated
 * session's token stops working at once. What it bounds: the credential. A credential stored or
 * deleted through this isolate drops its user's copies at once (credentials.ts calls
 * `credentialChanged`), a read that overlapped the change is not kept, and an OAuth token about
 * to expire is never taken from here (credential-source.ts); a change made through another
 * isolate reaches this one's calls within GATEWAY_ROW_TTL_MS.
 */

/** Who owns a session and, for a user's session, that user's sealed credential (null when none). */
export interface GatewaySessionRow {
  user_id: string;
  org_id: string | null;
  ciphertext: string | null;
}

/**
 * How long a copy is used before the index is read again: long enough to cover the model calls
 * of an agent's turn and the next prompt's, short enough that a credential changed through
 * another isolate is in use within seconds.
 */
export const GATEWAY_ROW_TTL_MS = 5_000;

/** How many sessions one isolate remembers; beyond it, it starts over (the cost is one read of D1). */
const MAX_REMEMBERED = 10_000;

interface Remembered {
  row: GatewaySessionRow;
  /** When the row was read; -Infinity once its credential changed (the session is still known to exist). */
  readAt: number;
}

const remembered = new Map<string, Remembered>();
/** Counts credential changes, so a read that overlapped one is not kept (`rememberGatewaySession`). */
let changes = 0;

/** What this isolate knows of a session: whether the index had it, and its row while fresh. */
export function recallGatewaySession(sessionId: string, now: number): { known: boolean; row: GatewaySessionRow | null } {
  const entry = remembered.get(sessionId);
  if (!entry) return { known: false, row: null };
  return { known: true, row: now - entry.readAt < GATEWAY_ROW_TTL_MS ? entry.row : null };
}

/** Taken before reading the index: hand it to `rememberGatewaySession` with what the read found. */
export function readMark(): number {
  return changes;
}

/** Keeps a row read from the index; a read that overlapped a credential change only marks the session known. */
export function rememberGatewaySession(sessionId: string, row: GatewaySessionRow, mark: number, now: number): void {
  if (remembered.size >= MAX_REMEMBERED && !remembered.has(sessionId)) remembered.clear();
  remembered.set(sessionId, { row, readAt: mark === changes ? now : Number.NEGATIVE_INFINITY });
}

/** A user's credential was stored or deleted: no copy of it is used again. */
export function credentialChanged(userId: string): void {
  changes += 1;
  for (const entry of remembered.values()) if (entry.row.user_id === userId) entry.readAt = Number.NEGATIVE_INFINITY;
}
