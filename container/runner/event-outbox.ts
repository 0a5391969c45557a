// EventOutbox: numbers agent events (rseq) and keeps each until the platform acknowledges it,
// so a dropped socket loses nothing: everything unacknowledged is sent again after reconnecting.
import type { AgentEventBody } from "../../schemas/events.ts";
import type { RunnerToPlatform } from "../../schemas/runner.ts";

/** An `event` frame of the runner channel. */
export type EventFrame = Extract<RunnerToPlatform, { type: "event" }>;

/** The runner's numbered, not yet acknowledged events. */
export class EventOutbox {
  #next = 1;
  #pending: EventFrame[] = [];

  /** Numbers an event and keeps it until acknowledged. */
  push(event: AgentEventBody): EventFrame {
    const frame: EventFrame = { type: "event", rseq: this.#next++, event };
    this.#pending.push(frame);
    return frame;
  }

  /** Drops every event with rseq ≤ `rseq` (acks are cumulative; stale or future acks are harmless). */
  ack(rseq: number): void {
    if (rseq >= this.#next) return;
    let drop = 0;
    while (drop < this.#pending.length && this.#pending[drop]!.rseq <= rseq) drop++;
    if (drop > 0) this.#pending.splice(0, drop);
  }

  /** Unacknowledged events, oldest first. */
  unacked(): readonly EventFrame[] {
    return this.#pending;
  }

  /** The rseq of the newest event pushed (0 before the first). */
  get lastRseq(): number {
    return this.#next - 1;
  }
}
