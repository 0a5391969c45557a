/**
 * `createSessionWebSocket`: the client core's resuming {@link SessionSocket}, with every frame
 * validated against the wire schemas (frames.ts) and dispatched to typed per-event handlers
 * (handlers.ts). Resume, seq tracking, heartbeats and close codes are client-core/session-socket.ts.
 */
import { RestTransport, type ConnectionOptions } from "../../client-core/rest.ts";
import type { RetryOptions } from "../../client-core/retry.ts";
import { sessionProbe } from "../../client-core/session-probe.ts";
import { SessionSocket, type SocketCodec, type SocketListener, type WebSocketConstructor } from "../../client-core/session-socket.ts";
import { ticketedSocketUrl } from "../../client-core/socket-ticket.ts";
import type { ProtocolFrame } from "../../client-core/wire.ts";
import type { ServerEnvelope } from "../../schemas/events.ts";
import { encodeClientFrame, isKnownType, parseServerFrame, type ClientFrameInput, type UnknownFrame } from "./frames.ts";
import type { EventContext, SessionHandlers } from "./handlers.ts";

/** A session socket as the SDK opens it: schema-checked frames in, schema-checked frames out. */
export type SdkSessionSocket = SessionSocket<ServerEnvelope | UnknownFrame, ClientFrameInput>;

/** Options of {@link createSessionWebSocket}. */
export interface SessionSocketOptions extends ConnectionOptions {
  sessionId: string;
  handlers?: SessionHandlers;
  /** Start after this seq (no `history` frame then); default: receive a `history` frame first. */
  afterSeq?: number;
  /** Also dispatch the events inside `history` frames to the per-type handlers, with `replayed: true` (default true). */
  expandHistory?: boolean;
  /** Heartbeat interval (default 30 s). */
  heartbeatMs?: number;
  /** Reconnect policy (default: forever, 0.5 s doubling to 15 s), or false to never reconnect. */
  reconnect?: Partial<RetryOptions> | false;
  /** A WebSocket class, e.g. the `ws` package's (default: `globalThis.WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** Used to classify a refused upgrade via REST (default: the global fetch). */
  fetch?: typeof fetch;
}

// The frames the core's helpers build must be frames the schemas accept: checked here, by the compiler.
type AssertFits<T extends ClientFrameInput> = T;
export type ProtocolFramesFitSchema = AssertFits<ProtocolFrame>;

/** Frames checked against the wire schemas both ways. */
const schemaCodec: SocketCodec<ServerEnvelope | UnknownFrame> = {
  decode(text) {
    const incoming = parseServerFrame(text);
    return incoming.kind === "invalid" ? incoming : { kind: "frame", frame: incoming.frame };
  },
  encode: (frame) => encodeClientFrame(frame as ClientFrameInput),
};

/** Turns the typed handlers into the core's listener. */
function listenerFor(handlers: SessionHandlers): SocketListener<ServerEnvelope | UnknownFrame> {
  const byType = handlers as Record<string, ((payload: unknown, context: EventContext) => void) | undefined>;
  return {
    frame(frame, context) {
      const handler = byType[frame.type];
      try {
        if (handler && isKnownType(frame.type)) handler(frame.payload, context);
      } finally {
        handlers.any?.(frame, context);
      }
    },
    open: handlers.open,
    close: handlers.close,
    reconnecting: handlers.reconnecting,
    invalidFrame: handlers.invalidFrame,
  };
}

/** Opens a session's WebSocket; see {@link SessionSocket}. */
export function createSessionWebSocket(options: SessionSocketOptions): SdkSessionSocket {
  // The probe asks once per failed upgrade; the socket's own backoff spaces those out.
  const rest = new RestTransport({
    baseUrl: options.baseUrl,
    token: options.token,
    retry: { retries: 0 },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return new SessionSocket({
    sessionId: options.sessionId,
    url: (afterSeq) => ticketedSocketUrl(rest, options.sessionId, afterSeq),
    listener: listenerFor(options.handlers ?? {}),
    codec: schemaCodec,
    probe: sessionProbe(rest, options.sessionId),
    ...(options.afterSeq === undefined ? {} : { afterSeq: options.afterSeq }),
    ...(options.expandHistory === undefined ? {} : { expandHistory: options.expandHistory }),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.reconnect === undefined ? {} : { reconnect: options.reconnect }),
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
  });
}
