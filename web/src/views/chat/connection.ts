/**
 * The chat's connection to its session: the client core's resuming socket (client-core/
 * session-socket.ts) with the browser's online/offline events, and the states the chat shows.
 * A final close becomes "ended", "gone" or "unauthorized" by its close code.
 */
import { CLOSE } from "../../../../client-core/close-codes.ts";
import { sessionProbe } from "../../../../client-core/session-probe.ts";
import { SessionSocket, type CloseInfo, type SocketState } from "../../../../client-core/session-socket.ts";
import type { ClientFrame } from "../../../../schemas/client-frames.ts";
import type { ServerEnvelope, StoredEnvelope } from "../../../../schemas/events.ts";
import type { Api } from "../../api.ts";
import { browserNetwork } from "../../network.ts";

/** What the chat shows about its connection. */
export type ConnectionState = Exclude<SocketState, "closed"> | "ended" | "gone" | "unauthorized" | "closed";

export const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline — resumes when you are back online",
  ended: "Session ended",
  gone: "Session not found",
  unauthorized: "Not authorised",
  closed: "Closed",
};

/** The state a final close leaves the chat in. */
function finalState(info: CloseInfo): ConnectionState {
  if (info.code === CLOSE.ended) return "ended";
  if (info.code === CLOSE.notFound || info.code === CLOSE.wrongUser) return "gone";
  if (info.code === CLOSE.auth) return "unauthorized";
  return "closed";
}

export type ChatSocket = SessionSocket<ServerEnvelope, ClientFrame>;

/** Opens the session's socket: stored events in seq order, each once; replies; state changes. */
export function openChatSocket(
  api: Api,
  sessionId: string,
  on: {
    event(event: StoredEnvelope): void;
    reply(frame: ServerEnvelope): void;
    state(state: ConnectionState): void;
    /** The stored conversation has arrived (its events follow at once, before any render). */
    history?(): void;
  },
): ChatSocket {
  return new SessionSocket<ServerEnvelope, ClientFrame>({
    sessionId,
    url: (afterSeq) => api.socketUrl(sessionId, afterSeq),
    probe: sessionProbe(api.rest, sessionId),
    network: browserNetwork,
    listener: {
      frame(frame) {
        if (frame.seq !== null) on.event(frame as StoredEnvelope);
        else if (frame.type === "history") on.history?.();
        else on.reply(frame);
      },
      state(state) {
        if (state !== "closed") on.state(state);
      },
      close(info) {
        if (!info.willReconnect) on.state(finalState(info));
      },
    },
  });
}
