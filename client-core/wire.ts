/**
 * The few wire shapes the client core reads, written structurally (this folder ships in the web
 * UI's bundle, so it cannot use the zod schemas): the envelope of a server frame and the client
 * frames the socket's helpers build. The schemas in schemas/ stay the definition; the SDK checks
 * at compile time that {@link ProtocolFrame} fits `ClientFrame` and validates every frame at run time.
 */

/** The envelope every server frame carries (schemas/events.ts `EnvelopeMeta`). */
export interface WireFrame {
  type: string;
  /** The event's place in the session log; null for replies meant for one client (`history`, `error`, ...). */
  seq: number | null;
  timestamp: string;
  session_id: string;
  payload: unknown;
}

/** Any client frame: a type and, for most, a payload. */
export interface ClientFrameLike {
  type: string;
  payload?: unknown;
}

/** The client frames the socket's helpers send (schemas/client-frames.ts). */
export type ProtocolFrame =
  | { type: "prompt"; payload: { text: string } }
  | { type: "interrupt" }
  | { type: "heartbeat" }
  | {
      type: "tool_approval_response";
      payload: {
        tool_use_id: string;
        approved: boolean;
        approval_scope?: "once" | "session";
        approval_pattern?: string;
        updated_input?: Record<string, unknown>;
        message?: string;
      };
    }
  | { type: "ask_user_question_response"; payload: { question_id: string; answers: Record<string, string> } };

/** The WebSocket URL of a session, authenticated with `?token=` (browsers cannot set headers on upgrades). */
export function socketUrl(baseUrl: string, sessionId: string, token: string, afterSeq: number | null): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/v1/ws/sessions/${encodeURIComponent(sessionId)}`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  if (afterSeq !== null) url.searchParams.set("after_seq", String(afterSeq));
  return url.toString();
}

/**
 * A client frame as JSON text, with U+FFFD written as the escape `\ufffd`: the server refuses
 * a raw U+FFFD, since that is what the runtime puts in place of bytes that were not UTF-8
 * (schemas/client-frames.ts `clientFrameText`). The escaped form decodes to the same string.
 */
export function frameJson(frame: unknown): string {
  return JSON.stringify(frame).replace(/\uFFFD/g, "\\ufffd");
}
