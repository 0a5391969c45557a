/**
 * The session WebSocket's close codes, defined once for the whole repository: the session
 * Durable Object closes with them, the SDK, the CLI and the web UI read them. Codes 4000–4999
 * are the application range of RFC 6455; 1000 is the protocol's normal close.
 */

/** Every close code the platform or its clients send, by meaning. */
export const CLOSE = {
  /** A deliberate close with nothing wrong (the client leaves, or the server lets a socket go). */
  normal: 1000,
  /** The client dropped a connection that skipped a seq, to resume cleanly from the last one it has. */
  gap: 4000,
  /** The token is missing, invalid or expired. */
  auth: 4001,
  /** The session belongs to another user. */
  wrongUser: 4003,
  /** No such session. */
  notFound: 4004,
  /** The session cannot take this connection in its current state. */
  notRunning: 4009,
  /** The session has ended; its last event (`session_end`) was sent before this close. */
  ended: 4100,
  /** Replaced by a newer connection of the same kind (the runner's socket). */
  reset: 4101,
  /** The server failed; reconnecting may help. */
  internal: 4500,
} as const;

/** One of {@link CLOSE}'s values. */
export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/**
 * Close codes after which a client must not reconnect: no retry can fix a refused token, another
 * user's session, an unknown session or an ended one.
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([CLOSE.auth, CLOSE.wrongUser, CLOSE.notFound, CLOSE.ended]);

/** The HTTP status and error code a final close stands for (an ended session is not an error). */
export const CLOSE_ERRORS: Readonly<Record<number, { status: number; code: string; message: string }>> = {
  [CLOSE.auth]: { status: 401, code: "unauthorized", message: "the token was refused" },
  [CLOSE.wrongUser]: { status: 403, code: "forbidden", message: "this session belongs to another user" },
  [CLOSE.notFound]: { status: 404, code: "not_found", message: "session not found" },
};
