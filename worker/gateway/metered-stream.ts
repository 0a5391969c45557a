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
 * The event carrying the final counts (`message_delta`) and the few bytes after it (`message_stop`)
 * are held until `settle` has recorded the call; everything before them streams unchanged, also
 * when one read carries both (`pushUntilCounted`).
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
      if (meter.counted || !meter.streamed) {
        meter.push(chunk);
        if (meter.counted) held.push(chunk);
        else controller.enqueue(chunk);
        return;
      }
      const heldFrom = pushUntilCounted(meter, chunk);
      if (heldFrom > 0) controller.enqueue(heldFrom < chunk.byteLength ? chunk.subarray(0, heldFrom) : chunk);
      if (heldFrom < chunk.byteLength) held.push(chunk.subarray(heldFrom));
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

const LF = 10;
const CR = 13;

/**
 * Shows `meter` one chunk of an event stream a line at a time (a line break byte never occurs
 * inside a UTF-8 character) and returns where the event carrying the final counts begins in it
 * (the chunk's length when they are not in it): the bytes before it go on at once. One read
 * often carries a short answer's last content, its counts and its end together, and Claude Code
 * shows that content (the `assistant` event) as soon as its block closes; held whole, the chunk
 * made the first answer wait for the settlement (a round trip to the session and its commit).
 */
function pushUntilCounted(meter: UsageMeter, chunk: Uint8Array): number {
  /** Where the event being read began in this chunk (0: in an earlier one). */
  let eventStart = 0;
  let from = 0;
  while (from < chunk.byteLength) {
    const lf = chunk.indexOf(LF, from);
    const end = lf < 0 ? chunk.byteLength : lf + 1;
    meter.push(chunk.subarray(from, end));
    if (meter.counted) {
      if (end < chunk.byteLength) meter.push(chunk.subarray(end));
      return eventStart;
    }
    // A blank line ends an event: the next one starts after it.
    if (end - from === 1 || (end - from === 2 && chunk[from] === CR)) eventStart = end;
    from = end;
  }
  return chunk.byteLength;
}
