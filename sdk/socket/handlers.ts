/** The callbacks a session socket calls: one per event type, plus connection lifecycle. */
import type { ServerEnvelope, ServerEventBody, ServerEventType } from "../../schemas/events.ts";
import type { AiSessionsError } from "../errors.ts";
import type { UnknownFrame } from "./frames.ts";

/** The payload type of event `T`. */
export type PayloadOf<T extends ServerEventType> = Extract<ServerEventBody, { type: T }>["payload"];

/** Where an event came from. */
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
export interface CloseInfo {
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Set when the socket gave up for a reason it could classify (auth, not found, retries spent). */
  error?: AiSessionsError;
}

/** Per-type event handlers: `assistant(payload, ctx)`, `tool_use(payload, ctx)`, ... */
export type EventHandlers = { [T in ServerEventType]?: (payload: PayloadOf<T>, context: EventContext) => void };

/** Everything a caller may listen to. */
export interface SessionHandlers extends EventHandlers {
  /** Every delivered frame, known or not, after its per-type handler. */
  any?: (frame: ServerEnvelope | UnknownFrame, context: EventContext) => void;
  /** A connection (first or resumed) is open. */
  open?: (info: { reconnected: boolean; afterSeq: number | null }) => void;
  /** A connection closed. */
  close?: (info: CloseInfo) => void;
  /** A reconnect is scheduled. */
  reconnecting?: (info: { attempt: number; delayMs: number; afterSeq: number | null }) => void;
  /** A frame did not match the wire schemas (server drift); it is not dispatched. */
  invalidFrame?: (error: AiSessionsError, raw: unknown) => void;
}
