// When a file transfer may go to the runner (durable-objects/session/runner-ready.ts), without
// workerd: awake with a runner that said hello, never while asleep, waking or restoring; and the
// waiters settle on a change, on the end of the session, or on their timeout, and leave nothing behind.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Readiness, RunnerReadyWaiters, readiness } from "../../../durable-objects/session/runner-ready.ts";
import { sessionState } from "./state-fixture.ts";

/** A runner socket stand-in: `instance` null until it said hello. */
const runnerSocket = (instance: string | null) => ({ deserializeAttachment: () => ({ kind: "runner", instance }) }) as unknown as WebSocket;

const running = () => sessionState({ status: "running" });
const step = (phase: "waking" | "restoring" | "archiving") => ({ phase, transferId: "t", since: 0 });

describe("readiness", () => {
  it("is ready with an awake session and a runner that said hello", () => {
    const runner = runnerSocket("r1");
    expect(readiness(running(), runner)).toEqual({ kind: "ready", runner });
  });

  it("waits for a runner, for its hello, and while the session sleeps, wakes or restores", () => {
    expect(readiness(running(), null).kind).toBe("waiting");
    expect(readiness(running(), runnerSocket(null)).kind).toBe("waiting");
    const runner = runnerSocket("r2");
    expect(readiness(sessionState({ status: "running", dormant: true }), runner).kind).toBe("waiting");
    expect(readiness(sessionState({ status: "running", dormant: true, hibernation: step("waking") }), runner).kind).toBe("waiting");
    // Restoring: the new runner is connected and said hello, but the restore replaces the workspace.
    expect(readiness(sessionState({ status: "running", dormant: true, hibernation: step("restoring") }), runner).kind).toBe("waiting");
    expect(readiness(sessionState({ status: "starting" }), null).kind).toBe("waiting");
  });

  it("is ended for an ended session or none", () => {
    expect(readiness(sessionState({ status: "ended" }), runnerSocket("r1")).kind).toBe("ended");
    expect(readiness(null, null).kind).toBe("ended");
  });
});

describe("RunnerReadyWaiters", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers at once when nothing is to wait for", async () => {
    const waiters = new RunnerReadyWaiters(() => ({ kind: "ended" }));
    expect(await waiters.wait(1_000)).toEqual({ kind: "ended" });
    expect(waiters.size).toBe(0);
  });

  it("settles every waiter when a change makes the runner ready or ends the session", async () => {
    let now: Readiness = { kind: "waiting" };
    const waiters = new RunnerReadyWaiters(() => now);
    const first = waiters.wait(60_000);
    const second = waiters.wait(60_000);
    waiters.changed(); // still waiting: nobody settles
    expect(waiters.size).toBe(2);
    const runner = runnerSocket("r1");
    now = { kind: "ready", runner };
    waiters.changed();
    expect(await first).toEqual({ kind: "ready", runner });
    expect(await second).toEqual({ kind: "ready", runner });
    expect(waiters.size).toBe(0);

    now = { kind: "waiting" };
    const third = waiters.wait(60_000);
    now = { kind: "ended" };
    waiters.changed();
    expect(await third).toEqual({ kind: "ended" });
    expect(waiters.size).toBe(0);
  });

  it("times out, and a timed-out waiter is gone (a later change finds nobody)", async () => {
    vi.useFakeTimers();
    let now: Readiness = { kind: "waiting" };
    const waiters = new RunnerReadyWaiters(() => now);
    const waiting = waiters.wait(120_000);
    vi.advanceTimersByTime(120_000);
    expect(await waiting).toEqual({ kind: "timeout" });
    expect(waiters.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    now = { kind: "ended" };
    waiters.changed();
    expect(waiters.size).toBe(0);
  });

  it("leaves no timer behind when it settles before the timeout", async () => {
    vi.useFakeTimers();
    let now: Readiness = { kind: "waiting" };
    const waiters = new RunnerReadyWaiters(() => now);
    const waiting = waiters.wait(120_000);
    now = { kind: "ended" };
    waiters.changed();
    expect(await waiting).toEqual({ kind: "ended" });
    expect(vi.getTimerCount()).toBe(0);
  });
});
