/**
 * The session's append-only event log in the Durable Object's SQLite storage. Every stored
 * server event gets the next `seq` (1, 2, 3, ... with no gaps), is written *before* it is
 * broadcast, and can be replayed from any `seq`: that is what lets a client that was away
 * resume with `after_seq` and miss nothing.
 */
import type { StoredEnvelope, StoredEventBody } from "../../schemas/events.ts";

/** Most events returned by one read (history pages, replays are chunked by it). */
export const MAX_EVENTS_PER_READ = 1_000;

interface EventRow {
  seq: number;
  type: string;
  ts: string;
  payload: string;
  [key: string]: SqlStorageValue;
}

export class EventLog {
  private readonly sql: SqlStorage;
  private readonly sessionId: string;
  /** The last seq, read from storage once and then kept here (this object is the only writer). */
  private last: number | null = null;

  constructor(sql: SqlStorage, sessionId: string) {
    this.sql = sql;
    this.sessionId = sessionId;
    sql.exec(`CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, ts TEXT NOT NULL, payload TEXT NOT NULL)`);
  }

  /**
   * Stores one event with the next seq and returns its envelope as the JSON every client is sent.
   * The payload is encoded once, for the row and the frame alike (payloads can be large tool
   * output). Synchronous: no other request interleaves.
   */
  append(event: StoredEventBody): string {
    const ts = new Date().toISOString();
    const seq = this.lastSeq() + 1;
    const payload = JSON.stringify(event.payload);
    this.sql.exec(`INSERT INTO events (seq, type, ts, payload) VALUES (?, ?, ?, ?)`, seq, event.type, ts, payload);
    this.last = seq;
    // Same keys, order and encoding as JSON.stringify of the envelope object.
    const head = JSON.stringify({ type: event.type, timestamp: ts, session_id: this.sessionId, seq });
    return `${head.slice(0, -1)},"payload":${payload}}`;
  }

  /** The highest seq stored (0 when empty). */
  lastSeq(): number {
    this.last ??= this.sql.exec<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM events`).one().seq ?? 0;
    return this.last;
  }

  /** Events with seq > `afterSeq`, oldest first, at most `limit`. */
  after(afterSeq: number, limit = MAX_EVENTS_PER_READ): StoredEnvelope[] {
    const rows = this.sql
      .exec<EventRow>(
        `SELECT seq, type, ts, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
        afterSeq,
        Math.min(limit, MAX_EVENTS_PER_READ),
      )
      .toArray();
    return rows.map((row) => this.envelope(row));
  }

  /** Every event with seq > `afterSeq`, oldest first, read a page at a time (for a resuming client). */
  *allAfter(afterSeq: number): Generator<StoredEnvelope> {
    let cursor = afterSeq;
    for (;;) {
      const batch = this.after(cursor);
      if (batch.length === 0) return;
      yield* batch;
      cursor = batch[batch.length - 1]!.seq;
    }
  }

  /**
   * One page of history: events after `afterSeq`, at most `limit`, and where the next page starts
   * (null on the last). "More" is decided against the newest seq, not by reading one row extra,
   * so a page size at the read cap still reports the rest.
   */
  page(afterSeq: number, limit: number): { messages: StoredEnvelope[]; next_after_seq: number | null } {
    const messages = this.after(afterSeq, limit);
    const last = messages.at(-1)?.seq;
    return { messages, next_after_seq: last !== undefined && last < this.lastSeq() ? last : null };
  }

  /** The newest events whose JSON fits in `maxBytes`, oldest first (for the `history` frame). */
  newestWithin(maxBytes: number): StoredEnvelope[] {
    const picked: StoredEnvelope[] = [];
    let bytes = 0;
    for (const row of this.sql.exec<EventRow>(`SELECT seq, type, ts, payload FROM events ORDER BY seq DESC`)) {
      bytes += row.payload.length + 120;
      if (bytes > maxBytes) break;
      picked.push(this.envelope(row));
    }
    return picked.reverse();
  }

  /** The newest stored event of `type`, or null when there is none. */
  newest(type: StoredEventBody["type"]): StoredEnvelope | null {
    const row = this.sql
      .exec<EventRow>(`SELECT seq, type, ts, payload FROM events WHERE type = ? ORDER BY seq DESC LIMIT 1`, type)
      .toArray()[0];
    return row ? this.envelope(row) : null;
  }

  private envelope(row: { seq: number; type: string; ts: string; payload: string }): StoredEnvelope {
    return {
      type: row.type,
      timestamp: row.ts,
      session_id: this.sessionId,
      seq: row.seq,
      payload: JSON.parse(row.payload),
    } as StoredEnvelope;
  }
}
