/**
 * The shapes around a session socket: the WebSocket API it needs, how frames are decoded and
 * encoded (the codec, JSON by default), what it reports to its owner, and its options. Kept
 * apart from the socket's machinery in session-socket.ts.
 */
import { AiSessionsError } from "./errors.ts";
import type { RetryOptions } from "./retry.ts";
import type { CloseVerdict } from "./session-probe.ts";
import { frameJson, type ClientFrameLike, type WireFrame } from "./wire.ts";

/** The part of the WebSocket API used: browsers, Node 22's global and the `ws` package all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // biome-ignore lint/suspicious/noExplicitAny: browsers, Node's global and the ws package type their events differently
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void): void;
}

/** A WebSocket class (default: the global one). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What one incoming message turned out to be. */
export type Decoded<F> = { kind: "frame"; frame: F } | { kind: "invalid"; error: AiSessionsError; raw: unknown; seq: number | null };

/** Reads server frames and writes client frames. */
export interface SocketCodec<F extends WireFrame> {
  decode(text: string): Decoded<F>;
  encode(frame: ClientFrameLike): string;
}

/** Whether the device is online, and news when that changes (browsers: `navigator.onLine` and its events). */
export interface NetworkMonitor {
  online(): boolean;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  watch(listener: (online: boolean) => void): () => void;
}

/** Where a delivered frame came from. */
export interface EventContext {
  type: string;
  /** The event's place in the session log; null for replies to this client only (`history`, `error`, ...). */
  seq: number | null;
  timestamp: string;
  sessionId: string;
  /** True when the event was unpacked from a `history` frame rather than received live. */
  replayed: boolean;
}

/** Why the connection closed, and whether the socket will try again. */
export interface CloseInfo extends CloseVerdict {
  willReconnect: boolean;
}

/** Connection state; `offline` only with a {@link NetworkMonitor}. */
export type SocketState = "connecting" | "open" | "reconnecting" | "offline" | "closed";

/** What the socket tells its owner. */
export interface SocketListener<F> {
  /** Every delivered frame: stored events in seq order, each once; replies (seq null) as they come. */
  frame?: (frame: F, context: EventContext) => void;
  /** A connection (first or resumed) is open. */
  open?: (info: { reconnected: boolean; afterSeq: number | null }) => void;
  /** A connection closed (`willReconnect` says whether another follows). */
  close?: (info: CloseInfo) => void;
  /** A reconnect is scheduled. */
  reconnecting?: (info: { attempt: number; delayMs: number; afterSeq: number | null }) => void;
  /** A frame the codec refused; it is not delivered (its seq still counts as seen). */
  invalidFrame?: (error: AiSessionsError, raw: unknown) => void;
  /** The connection state changed. */
  state?: (state: SocketState) => void;
}

/** Options of {@link SessionSocket}. */
export interface SessionSocketOptions<F extends WireFrame> {
  sessionId: string;
  /** The socket URL for a resume point (null: the first connection, which wants a `history` frame). */
  url: (afterSeq: number | null) => string | Promise<string>;
  listener?: SocketListener<F>;
  /** Default: JSON with a check of the envelope. */
  codec?: SocketCodec<F>;
  /** Start after this seq (no `history` frame then); default: receive a `history` frame first. */
  afterSeq?: number | null;
  /** Also deliver the events inside `history` frames, with `replayed: true` (default true). */
  expandHistory?: boolean;
  /** Heartbeat interval (default 30 s). */
  heartbeatMs?: number;
  /** Reconnect policy (default: forever, 0.5 s doubling to 15 s), or false to never reconnect. */
  reconnect?: Partial<RetryOptions> | false;
  /** A WebSocket class, e.g. the `ws` package's (default: `globalThis.WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** Asked after a connection that never opened: a final verdict, or null to keep trying (see session-probe.ts). */
  probe?: () => Promise<CloseVerdict | null>;
  /** Pauses reconnecting while offline and reconnects at once when back. */
  network?: NetworkMonitor;
}

/** The default codec: JSON, with the envelope checked so seq tracking never reads garbage. */
export const jsonCodec: SocketCodec<WireFrame> = {
  decode(text) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { kind: "invalid", error: new AiSessionsError(0, "invalid_response", "a WebSocket frame is not JSON"), raw: text, seq: null };
    }
    const frame = json as Partial<WireFrame> | null;
    const seqOk = frame?.seq === null || (typeof frame?.seq === "number" && Number.isInteger(frame.seq));
    if (typeof frame?.type === "string" && seqOk) return { kind: "frame", frame: frame as WireFrame };
    return {
      kind: "invalid",
      error: new AiSessionsError(0, "invalid_response", "a WebSocket frame has no type or seq"),
      raw: json,
      seq: null,
    };
  },
  encode: (frame) => frameJson(frame),
};

/** Reconnect forever, 0.5 s doubling to 15 s. */
export const DEFAULT_RECONNECT: Required<RetryOptions> = { retries: Number.POSITIVE_INFINITY, minDelayMs: 500, maxDelayMs: 15_000 };
/** Heartbeat interval: well inside common idle timeouts of proxies. */
export const DEFAULT_HEARTBEAT_MS = 30_000;
/** `WebSocket.OPEN`, which not every implementation exposes as a static. */
export const WS_OPEN = 1;
/** How long after an error a close event may still come before the socket assumes it never will. */
export const MISSING_CLOSE_GRACE_MS = 250;

/** One connection attempt. */
export interface Connection {
  ws: WebSocketLike;
  afterSeq: number | null;
  opened: boolean;
  /** Set after a gap or a release: the rest of this connection's frames are ignored. */
  discarding: boolean;
}
