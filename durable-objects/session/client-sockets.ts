/**
 * The session DO's sockets: what each one remembers across hibernation (its attachment), the
 * close codes, the per-connection frame limits, and the small send/close helpers that tolerate
 * a socket closing under them. Client frame decoding is here too (size, UTF-8, JSON, schema), as
 * a pure function, so the DO only acts on a frame it can trust. The close codes themselves are
 * defined once, for the server and its clients, in client-core/close-codes.ts.
 */
import { CLOSE } from "../../client-core/close-codes.ts";
import { ClientFrame, clientFrameText } from "../../schemas/client-frames.ts";
import type { ServerEventBody, WsErrorCode } from "../../schemas/events.ts";

/** Largest client frame accepted (docs/api.md §5); larger ones get `message_too_large`. */
export const MAX_CLIENT_FRAME_BYTES = 1024 * 1024;
/** Budget for the one `history` frame sent on connect; older events are paged over REST. */
export const HISTORY_FRAME_BYTES = 768 * 1024;
/** Frames one client connection may send per second (docs/api.md §9). */
export const CLIENT_FRAMES_PER_SECOND = 100;

/** The close codes (defined once, in client-core/close-codes.ts). */
export { CLOSE };

/** Who is on the other end of a socket; survives hibernation as the socket's attachment. */
export type SocketAttachment =
  | {
      kind: "client";
      userId: string;
      readOnly: boolean;
      /** When the org API key that opened it expires (epoch ms); null for user sockets and keys without expiry. */
      expiresAt: number | null;
      /** The org API key that opened it, if any. */
      keyId?: string | null;
    }
  | { kind: "runner"; instance: string | null };
export type ClientAttachment = Extract<SocketAttachment, { kind: "client" }>;
export type RunnerAttachment = Extract<SocketAttachment, { kind: "runner" }>;

/**
 * Attachments already read or written, per socket object. Only this object writes them (through
 * `setAttachment`, which keeps this in step), so each is read once: the broadcast checks every
 * client's on every event and every runner frame checks its socket's, and `deserializeAttachment`
 * (a structured-clone read) was 3% of workerd's CPU under the fan-out benchmark for the clients,
 * and 12 µs of each runner frame's handling for the runner's. A socket object re-created after
 * hibernation is not here and is read afresh.
 */
const attachments = new WeakMap<WebSocket, SocketAttachment>();

/** A socket's attachment (null when it has none). */
export function attachmentOf(ws: WebSocket): SocketAttachment | null {
  const cached = attachments.get(ws);
  if (cached) return cached;
  const attachment = ws.deserializeAttachment() as SocketAttachment | null;
  if (attachment) attachments.set(ws, attachment);
  return attachment;
}

/** Writes a socket's attachment (it survives hibernation) and what `attachmentOf` returns for it. */
export function setAttachment(ws: WebSocket, attachment: SocketAttachment): void {
  ws.serializeAttachment(attachment);
  attachments.set(ws, attachment);
}

/**
 * Frame counts per client socket for the 100/s limit. Kept in memory on purpose: a one-second
 * window does not need to survive hibernation (a woken object starts counting afresh).
 */
const frameTimes = new WeakMap<WebSocket, number[]>();

/** Records a frame on `ws`; false when it is the 101st within the last second (a sliding window). */
export function withinFrameRate(ws: WebSocket, now: number): boolean {
  const times = frameTimes.get(ws) ?? [];
  frameTimes.set(ws, times);
  return recordFrame(times, now);
}

/** The sliding window itself: drops times older than a second, then admits `now` if there is room. */
export function recordFrame(times: number[], now: number): boolean {
  while (times.length > 0 && times[0]! <= now - 1000) times.shift();
  if (times.length >= CLIENT_FRAMES_PER_SECOND) return false;
  times.push(now);
  return true;
}

/** A client frame decoded, or the error to reply with. */
export type DecodedClientFrame = { ok: true; frame: ClientFrame } | { ok: false; code: WsErrorCode; message: string };

/** Checks a client frame's size, encoding, JSON and shape (docs/api.md §5). */
export function decodeClientFrame(message: string | ArrayBuffer): DecodedClientFrame {
  const size = typeof message === "string" ? message.length : message.byteLength;
  if (size > MAX_CLIENT_FRAME_BYTES)
    return { ok: false, code: "message_too_large", message: `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes` };
  const text = clientFrameText(message);
  if (text === null) return { ok: false, code: "invalid_message", message: "frame is not valid UTF-8 (send U+FFFD escaped as \\ufffd)" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: "invalid_message", message: "frame is not valid JSON" };
  }
  const parsed = ClientFrame.safeParse(json);
  if (!parsed.success) {
    const type = (json as { type?: unknown } | null)?.type;
    return {
      ok: false,
      code: "invalid_message",
      message:
        typeof type === "string"
          ? `invalid '${type}' frame: ${parsed.error.issues[0]?.message ?? "bad payload"}`
          : "frame needs a known 'type'",
    };
  }
  return { ok: true, frame: parsed.data };
}

/** The attachment a client socket gets from the headers the Worker forwarded. */
export function clientAttachment(headers: {
  user: string | null;
  readOnly: string | null;
  expiresAt: string | null;
  keyId: string | null;
}): ClientAttachment {
  return {
    kind: "client",
    userId: headers.user ?? "",
    readOnly: headers.readOnly === "1",
    expiresAt: Number(headers.expiresAt) || null,
    keyId: headers.keyId || null,
  };
}

/** A resuming client's `after_seq` (a whole number), or null for a fresh connection, which gets `history` instead. */
export function resumeCursor(param: string | null): number | null {
  const afterSeq = param === null ? null : Number(param);
  return afterSeq !== null && Number.isInteger(afterSeq) && afterSeq >= 0 ? afterSeq : null;
}

/** A reply meant for one client only: not stored, so its `seq` is null. */
export function replyEnvelope(sessionId: string, event: ServerEventBody, now: Date): string {
  return JSON.stringify({ type: event.type, timestamp: now.toISOString(), session_id: sessionId, seq: null, payload: event.payload });
}

/** The runner socket that said hello, among `sockets` (the open one, if any). */
export function helloedRunner(runner: WebSocket | null): WebSocket | null {
  if (!runner) return null;
  const attachment = attachmentOf(runner);
  return attachment?.kind === "runner" && attachment.instance !== null ? runner : null;
}

/** Sends on a socket that may be closing; a client that misses a frame resumes from its last seq. */
export function trySend(ws: WebSocket, data: string): void {
  try {
    ws.send(data);
  } catch {
    // closed meanwhile
  }
}

/**
 * Whether a client socket's access has lapsed: an org API key with an expiry that has passed.
 * User sockets carry no expiry (the product's client holds a 1 h token and never reconnects);
 * they end when their user deregisters, which ends every live session of theirs.
 */
export function accessLapsed(attachment: ClientAttachment, now: number): boolean {
  return attachment.expiresAt !== null && now > attachment.expiresAt;
}

/** Sends `data` to every socket in `sockets`, except a client whose access lapsed: that one is closed (4001) instead. */
export function broadcast(sockets: WebSocket[], data: string, now = Date.now()): void {
  for (const ws of sockets) {
    const attachment = attachmentOf(ws);
    if (attachment?.kind === "client" && accessLapsed(attachment, now))
      safeClose(ws, CLOSE.auth, "the API key that opened this socket expired");
    else trySend(ws, data);
  }
}

/** Closes (4001) the client sockets org API key `keyId` opened, once it is revoked; returns how many. */
export function closeSocketsOfKey(clients: WebSocket[], keyId: string): number {
  let closed = 0;
  for (const ws of clients) {
    const attachment = attachmentOf(ws);
    if (attachment?.kind !== "client" || attachment.keyId !== keyId) continue;
    safeClose(ws, CLOSE.auth, "the API key that opened this socket was revoked");
    closed++;
  }
  return closed;
}

/** Closes a socket, ignoring one that is already closed. */
export function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
