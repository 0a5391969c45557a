/** The callbacks a session socket calls: one per event type, plus connection lifecycle. */
import type { AiSessionsError } from "../../client-core/errors.ts";
import type { CloseInfo, EventContext } from "../../client-core/session-socket.ts";
import type { ServerEnvelope, ServerEventBody, ServerEventType } from "../../schemas/events.ts";
import type { UnknownFrame } from "./frames.ts";

export type { CloseInfo, EventContext };

/** The payload type of event `T`. */
export type PayloadOf<T extends ServerEventType> = Extract<ServerEventBody, { type: T }>["payload"];

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
