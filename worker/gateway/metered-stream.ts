/**
 * Passes an answer body through to the client chunk by chunk (an SSE stream is never
 * buffered) while a `UsageMeter` watches the same bytes, and settles the call's usage with
 * the session before the answer's last bytes reach the client.
 *
 * Why before: Claude Code ends its turn (`result`) only after the answer has ended, so a call
 * settled first has its `usage_delta` stored before that turn's `result`, and every surface that
 * shows the session's cost at a turn's end shows the figure `GET /v1/sessions/{id}` gives.
 */
import type { MeteredCall, UsageMeter } from "./usage-meter.ts";

/** The body to send the client, and the usage once the answer ended, was cut off, or failed (and was settled). */
export interface MeteredBody {
  body: ReadableStream<Uint8Array>;
  usage: Promise<MeteredCall | null>;
}

/**
 * Longest the end of an answer waits for its settlement: past it the client gets its last bytes
 * anyway and the settlement finishes in the background (a slow session must not stall the agent).
 */
export const SETTLE_WAIT_MS = 5_000;

/**
 * Pipes `source` through a TransformStream rather than `tee()`: when the client goes away
 * (Claude Code interrupting a turn), cancelling the body cancels the upstream request too,
 * instead of a second branch reading the model's answer to its end. The tokens seen up to
 * that moment are still reported.
 *
 * Once the final counts have passed (`message_delta`), the few bytes left (`message_stop`) are
 * held until `settle` has recorded the call; everything before them streams unchanged.
 */
export function meteredBody(
  source: ReadableStream<Uint8Array>,
  meter: UsageMeter,
  settle: (call: MeteredCall | null) => Promise<void> = async () => {},
): MeteredBody {
  let settled: Promise<MeteredCall | null> | null = null;
  // Exactly once, whichever way the answer ends (its end, the client cancelling, an upstream error).
  const settleOnce = () => {
    if (!settled) {
      const call = meter.finish();
      settled = settle(call).then(
        () => call,
        () => call,
      );
    }
    return settled;
  };
  const held: Uint8Array[] = [];
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      meter.push(chunk);
      if (meter.counted) held.push(chunk);
      else controller.enqueue(chunk);
    },
    async flush(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_WAIT_MS)));
      await Promise.race([settleOnce(), late]);
      clearTimeout(timer);
      for (const chunk of held) controller.enqueue(chunk);
    },
  });
  const usage = source.pipeTo(writable).then(settleOnce, settleOnce);
  return { body: readable, usage };
}
