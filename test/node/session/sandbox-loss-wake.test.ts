// A sandbox lost while a sleeping session was waking (issue 14: the platform restarted while the
// archive was being restored): the session notices the missing runner, checks its sandbox, and
// wakes again from the same archive with its prompt still queued (durable-objects/session/sandbox-loss.ts).
import { describe, expect, it } from "vitest";
import { deadlinesOf } from "../../../durable-objects/session/deadlines.ts";
import { noticeMissingRunner, resumeLostSandbox } from "../../../durable-objects/session/sandbox-loss.ts";
import type { SessionState } from "../../../durable-objects/session/session-state.ts";
import { sessionState } from "./state-fixture.ts";

const TIMERS = {
  startupTimeout: 120,
  heartbeatStale: 60,
  maxSession: 86_400,
  approvalTimeout: 300,
  idleHibernate: 600,
  retention: 259_200,
};
const ARCHIVE = { key: "sessions/s_test/archive/workspace.tar.gz", size: 10, at: "2026-01-01T00:00:00.000Z" };

function waking(phase: "waking" | "restoring"): SessionState {
  return sessionState({
    status: "running",
    dormant: true,
    archive: ARCHIVE,
    agentSessionId: "agent-1",
    runnerTokenHash: "hash",
    queue: [{ id: "p1", text: "after the restart" }],
    hibernation: { phase, transferId: "t1", since: Date.parse("2026-01-01T00:00:00Z") },
  });
}

describe("a waking session whose sandbox is lost", () => {
  for (const phase of ["waking", "restoring"] as const) {
    it(`notices the missing runner while ${phase}, and checks on the sandbox`, () => {
      const state = waking(phase);
      const now = Date.parse("2026-01-01T00:00:05Z");
      expect(noticeMissingRunner(state, false, now)).toBe(true);
      expect(deadlinesOf(state, TIMERS)).toContainEqual({ at: state.runnerCheckAt, kind: "runner_check" });
    });

    it(`wakes again from the same archive when the sandbox is gone (${phase}), keeping the prompt and the conversation`, () => {
      const state = waking(phase);
      const effects = resumeLostSandbox(state);
      expect(effects[0]).toMatchObject({ kind: "emit", event: { type: "system", payload: { subtype: "sandbox_lost" } } });
      expect(effects.map((e) => e.kind)).toEqual(["emit", "alarm", "start_sandbox"]);
      expect(state).toMatchObject({ dormant: true, archive: ARCHIVE, agentSessionId: "agent-1", hibernation: { phase: "waking" } });
      expect(state.hibernation?.transferId).not.toBe("t1");
      expect(state.queue.map((p) => p.id)).toEqual(["p1"]);
    });
  }

  it("leaves a session that sleeps with no wake under way alone", () => {
    const state = sessionState({ status: "running", dormant: true, archive: ARCHIVE, runnerTokenHash: "hash" });
    expect(noticeMissingRunner(state, false, Date.now())).toBe(false);
    expect(resumeLostSandbox(state)).toEqual([]);
    expect(deadlinesOf(state, TIMERS).some((d) => d.kind === "runner_check")).toBe(false);
  });

  it("leaves a waking session whose runner is connected alone", () => {
    expect(noticeMissingRunner(waking("restoring"), true, Date.now())).toBe(false);
  });
});
