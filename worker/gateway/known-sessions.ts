/**
 * Sessions this Worker isolate has already found in the index (D1) on a model call. Asking a
 * session's Durable Object whether a call may go (the admission) before the index has answered
 * would create an object for any id a caller makes up; for a session seen here before, the id
 * is known to be real, so its next calls ask the object and the index at once instead of one
 * after the other. Only existence is remembered: the credential and the owner still come from
 * the index on every call, and a deleted session's object refuses the call itself.
 */

/** How many ids one isolate remembers; beyond it, it starts over (the cost is one wait on D1). */
const MAX_KNOWN = 10_000;

const known = new Set<string>();

/** True when a model call of this session found it in the index before, in this isolate. */
export function knownSession(sessionId: string): boolean {
  return known.has(sessionId);
}

/** The index has this session. */
export function rememberSession(sessionId: string): void {
  if (known.size >= MAX_KNOWN) known.clear();
  known.add(sessionId);
}
