/**
 * Why a session's WebSocket upgrade failed. A refused upgrade (401, 403, 404) reaches a WebSocket
 * only as an anonymous close (1006), so the socket asks the REST API about the session and turns
 * the answer into the close code the server would have sent.
 */
import { CLOSE, CLOSE_ERRORS } from "./close-codes.ts";
import { AiSessionsError } from "./errors.ts";
import type { RestTransport } from "./rest.ts";

/** A close the socket cannot recover from: its code, its reason, and the error it stands for (none for an ended session). */
export interface CloseVerdict {
  code: number;
  reason: string;
  error?: AiSessionsError;
}

/** HTTP status of a refused request → the close code that means the same. */
const STATUS_CLOSE: Readonly<Record<number, number>> = { 401: CLOSE.auth, 403: CLOSE.wrongUser, 404: CLOSE.notFound };

/** A probe for {@link SessionSocket}: a final verdict (refused, unknown, ended), or null for a transient failure. */
export function sessionProbe(rest: RestTransport, sessionId: string): () => Promise<CloseVerdict | null> {
  return async () => {
    try {
      const answer = await rest.request<{ session?: { status?: unknown } } | undefined>({
        method: "GET",
        path: `/v1/sessions/${encodeURIComponent(sessionId)}`,
        idempotent: true,
      });
      return answer?.session?.status === "ended" ? { code: CLOSE.ended, reason: "session ended" } : null;
    } catch (error) {
      if (!(error instanceof AiSessionsError)) return null;
      const code = STATUS_CLOSE[error.status];
      return code === undefined ? null : { code, reason: error.message, error };
    }
  };
}

/** The error a final close code stands for (an ended session, a normal end, has none). */
export function finalVerdict(code: number, reason: string): CloseVerdict {
  const known = CLOSE_ERRORS[code];
  return known ? { code, reason, error: new AiSessionsError(known.status, known.code, reason || known.message) } : { code, reason };
}
