// TurnStart (container/runner/turn-start.ts): a checkpoint's background upload waits while a turn
// is starting, until the model's first answer, and never longer than MAX_WAIT_MS.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_WAIT_MS, TurnStart } from "../../container/runner/turn-start.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe("TurnStart", () => {
  it("lets background work run at once when no turn is starting", async () => {
    const start = new TurnStart();
    await start.passed();
    start.begin();
    start.settle();
    await start.passed();
  });

  it("holds background work until the turn's first answer", async () => {
    const start = new TurnStart();
    start.begin();
    let answered = false;
    const ran = start.passed().then(() => answered);
    await tick();
    await tick();
    answered = true;
    start.settle();
    expect(await ran).toBe(true);
  });

  it("holds it no longer than MAX_WAIT_MS when the turn never answers", async () => {
    vi.useFakeTimers();
    const start = new TurnStart();
    start.begin();
    const before = Date.now();
    let waited = 0;
    const ran = start.passed().then(() => (waited = Date.now() - before));
    await vi.advanceTimersByTimeAsync(MAX_WAIT_MS);
    await ran;
    expect(waited).toBe(MAX_WAIT_MS);
  });
});
