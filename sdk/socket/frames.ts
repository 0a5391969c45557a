/** Reading server frames and writing client frames, both checked against the wire schemas. */
import type { z } from "zod";
import { ClientFrame } from "../../schemas/client-frames.ts";
import { EnvelopeMeta, ServerEnvelope, ServerEventBody, type ServerEventType } from "../../schemas/events.ts";
import { AiSessionsError } from "../../client-core/errors.ts";
import { frameJson } from "../../client-core/wire.ts";

/** Event types this SDK knows; a newer server may send others, which are passed on untyped. */
const KNOWN_TYPES: ReadonlySet<string> = new Set(ServerEventBody.options.map((option) => option.shape.type.value));

/** A frame of a type this SDK does not know (a newer server): its envelope, payload untouched. */
export interface UnknownFrame extends z.infer<typeof EnvelopeMeta> {
  type: string;
  payload: unknown;
}

/** What one incoming message turned out to be. */
export type IncomingFrame =
  | { kind: "event"; frame: ServerEnvelope }
  | { kind: "unknown"; frame: UnknownFrame }
  | { kind: "invalid"; error: AiSessionsError; raw: unknown; seq: number | null };

/** Parses and validates one text message from the server. */
export function parseServerFrame(text: string): IncomingFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: "invalid", error: new AiSessionsError(0, "invalid_response", "a WebSocket frame is not JSON"), raw: text, seq: null };
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type === "string" && !KNOWN_TYPES.has(type)) {
    const meta = EnvelopeMeta.safeParse(json);
    if (meta.success) return { kind: "unknown", frame: { ...meta.data, type, payload: (json as { payload?: unknown }).payload } };
  }
  const parsed = ServerEnvelope.safeParse(json);
  if (parsed.success) return { kind: "event", frame: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  // The seq is kept even for a frame that fails validation, so seq tracking does not stall on it.
  const seq = (json as { seq?: unknown } | null)?.seq;
  return {
    kind: "invalid",
    error: new AiSessionsError(0, "invalid_response", `a '${String(type)}' frame does not match the API schema (${issues})`, {
      body: json,
    }),
    raw: json,
    seq: typeof seq === "number" && Number.isInteger(seq) ? seq : null,
  };
}

/** A client frame as callers write it (defaults such as `approval_scope` may be left out). */
export type ClientFrameInput = z.input<typeof ClientFrame>;

/** Validates a client frame and serialises it; throws `invalid_message` locally, since the server's reply would arrive detached from the call. */
export function encodeClientFrame(frame: ClientFrameInput): string {
  const parsed = ClientFrame.safeParse(frame);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AiSessionsError(
      0,
      "invalid_message",
      `invalid '${frame.type}' frame: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "bad payload"}`,
    );
  }
  return frameJson(parsed.data);
}

/** Type guard for a known event type. */
export function isKnownType(type: string): type is ServerEventType {
  return KNOWN_TYPES.has(type);
}
