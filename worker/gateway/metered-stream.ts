/**
 * Passes an answer body through to the client chunk by chunk (an SSE stream is never
 * buffered) while a `UsageMeter` watches the same bytes.
 */
import type { MeteredCall, UsageMeter } from "./usage-meter.ts";

/** The body to send the client, and the usage once the answer ended, was cut off, or failed. */
export interface MeteredBody {
  body: ReadableStream<Uint8Array>;
  usage: Promise<MeteredCall | null>;
}

/**
 * Pipes `source` through a TransformStream rather than `tee()`: when the client goes away
 * (Claude Code interrupting a turn), cancelling the body cancels the upstream request too,
 * instead of a second branch reading the model's answer to its end. The tokens seen up to
 * that moment are still reported.
 */
export function meteredBody(source: ReadableStream<Uint8Array>, meter: UsageMeter): MeteredBody {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(chunk); // the client first: metering never delays a byte
      meter.push(chunk);
    },
  });
  const settle = () => meter.finish();
  const usage = source.pipeTo(writable).then(settle, settle);
  return { body: readable, usage };
}
