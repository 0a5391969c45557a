/**
 * Client → server WebSocket frames (docs/api.md §5). A frame needs only `type` and, where listed,
 * `payload`; other envelope fields a client sends are ignored (existing clients send
 * `{"type":"heartbeat"}` and `{"type":"prompt","payload":{"text":"..."}}`).
 */
import { z } from "zod";

/** Longest prompt text accepted (the frame cap of 1 MB bounds it anyway). */
export const MAX_PROMPT_CHARS = 200_000;

/**
 * The text of a client frame, or null when its bytes are not valid UTF-8. Binary frames are
 * decoded strictly. Text frames reach the Durable Object already decoded, with each invalid
 * byte replaced by U+FFFD, so a raw U+FFFD in the frame is refused too; clients that mean the
 * character send it escaped (`\ufffd`) inside the JSON, which decodes to the same string.
 */
export function clientFrameText(message: string | ArrayBuffer): string | null {
  if (typeof message === "string") return message.includes("\uFFFD") ? null : message;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(message);
  } catch {
    return null;
  }
}

const frame = <T extends string, P extends z.ZodType>(type: T, payload: P) => z.object({ type: z.literal(type), payload });
const bare = <T extends string>(type: T) => z.object({ type: z.literal(type), payload: z.unknown().optional() });

/** Every frame a client may send. */
export const ClientFrame = z.discriminatedUnion("type", [
  frame("prompt", z.object({ text: z.string().trim().min(1, "prompt text is empty").max(MAX_PROMPT_CHARS) })),
  bare("interrupt"),
  bare("heartbeat"),
  frame(
    "tool_approval_response",
    z.object({
      tool_use_id: z.string().min(1).max(256),
      approved: z.boolean(),
      approval_scope: z.enum(["once", "session"]).default("once"),
      approval_pattern: z.string().max(300).optional(),
      updated_input: z.record(z.string(), z.unknown()).optional(),
      message: z.string().max(10_000).optional(),
    }),
  ),
  frame(
    "ask_user_question_response",
    z.object({ question_id: z.string().min(1).max(256), answers: z.record(z.string().max(10_000), z.string().max(10_000)) }),
  ),
  frame(
    "upload_request",
    z.object({
      request_id: z.string().min(1).max(256),
      filename: z.string().min(1).max(255),
      content_type: z.string().max(255),
      size: z.int().min(0),
    }),
  ),
  frame("upload_complete", z.object({ request_id: z.string().min(1).max(256), upload_id: z.string().min(1).max(256) })),
  frame("download_request", z.object({ request_id: z.string().min(1).max(256), path: z.string().min(1).max(4_096) })),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
