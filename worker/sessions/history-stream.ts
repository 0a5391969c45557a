/**
 * The whole stored history of a session as one `HistoryPage` answer, streamed: the product's
 * client asks for `GET .../history` without `limit` and never pages, so without `limit` the
 * answer holds every event. It is written page by page from the session's event log (each page
 * one read of at most MAX_EVENTS_PER_READ events), so no huge string or array is ever built.
 */
import type { HistorySlice } from "../../platform/contracts/session.ts";

/** Events fetched from the session object per read while streaming. */
const STREAM_PAGE = 1_000;

/** `{"messages":[...],"next_after_seq":null}` with every event after `afterSeq`, read with `readPage`. */
export function streamWholeHistory(afterSeq: number, readPage: (afterSeq: number, limit: number) => Promise<HistorySlice>): Response {
  const encoder = new TextEncoder();
  let cursor: number | null = afterSeq;
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"messages":['));
    },
    async pull(controller) {
      if (cursor === null) return;
      const page = await readPage(cursor, STREAM_PAGE);
      const items = page.messages.map((m) => JSON.stringify(m)).join(",");
      if (items) {
        controller.enqueue(encoder.encode(first ? items : `,${items}`));
        first = false;
      }
      cursor = page.next_after_seq;
      if (cursor === null) {
        controller.enqueue(encoder.encode('],"next_after_seq":null}'));
        controller.close();
      }
    },
  });
  return new Response(body, { headers: { "content-type": "application/json; charset=utf-8" } });
}
