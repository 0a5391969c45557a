// The deadlines that end a session (durable-objects/session/deadlines.ts), without workerd.
import { describe, expect, it } from "vitest";
import type { SessionTimers } from "../../../platform/config.ts";
import { deadlineEnd, deadlinesOf } from "../../../durable-objects/session/deadlines.ts";
import { sessionState } from "./state-fixture.ts";

const timers: SessionTimers = {
  maxSession: 3600,
  startupTimeout: 60,
  heartbeatStale: 45,
  approvalTimeout: 300,
  idleHibernate: 600,
  retention: 86400,
};

describe("deadlineEnd", () => {
  it("names the end of the deadlines that end a session, and none for the others", () => {
    const state = sessionState({ status: "starting" });
    const byKind = Object.fromEntries(deadlinesOf(state, timers).map((d) => [d.kind, deadlineEnd(d, timers)]));
    expect(byKind).toEqual({
      max_duration: { reason: "max_duration_exceeded", detail: "the session reached its maximum duration" },
      startup_timeout: { reason: "startup_timeout", detail: "the sandbox did not connect within 60 s" },
    });
    expect(deadlineEnd({ at: 0, kind: "heartbeat_stale" }, timers)).toEqual({
      reason: "heartbeat_stale",
      detail: "no heartbeat from the runner for 45 s",
    });
    expect(deadlineEnd({ at: 0, kind: "idle_hibernate" }, timers)).toBeNull();
    expect(deadlineEnd({ at: 0, kind: "purge" }, timers)).toBeNull();
  });
});
