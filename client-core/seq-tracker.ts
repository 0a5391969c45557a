/**
 * Where a client stands in the session's event log. The server guarantees a gap-free `seq` and
 * exact resumption with `after_seq`; this tracker is the belt and braces around that promise:
 * it drops anything already delivered and notices a gap, so a caller never sees a doubled or
 * missing event even if the transport misbehaves.
 */

/** Verdict on one stored event. */
export type SeqVerdict = "deliver" | "duplicate" | "gap";

/** Tracks the highest delivered seq. */
export class SeqTracker {
  #last: number | null;

  /** `start`: the seq the caller has already seen (null: nothing yet). */
  constructor(start: number | null = null) {
    this.#last = start;
  }

  /** Highest seq delivered so far, or null. */
  get last(): number | null {
    return this.#last;
  }

  /** Judges `seq` without recording it. */
  check(seq: number): SeqVerdict {
    if (this.#last === null) return "deliver";
    if (seq <= this.#last) return "duplicate";
    return seq === this.#last + 1 ? "deliver" : "gap";
  }

  /** Records `seq` as delivered. */
  advance(seq: number): void {
    if (this.#last === null || seq > this.#last) this.#last = seq;
  }
}
