// Hibernation steps (durable-objects/session/hibernation.ts) without workerd: when prompts wait,
// waking, the runner's archive and restore results, and steps that time out.
import { describe, expect, it } from "vitest";
import {
  archiveKey,
  holdsPrompts,
  onArchiveResult,
  onStepTimeout,
  wake,
  wakeForPrompt,
} from "../../../durable-objects/session/hibernation.ts";
import { sessionState } from "./state-fixture.ts";

const archiving = { phase: "archiving" as const, transferId: "t1", since: 0 };

describe("waking", () => {
  it("holds prompts while asleep or during a step, and wakes a sleeping session that has a prompt queued", () => {
    expect(holdsPrompts(sessionState())).toBe(false);
    expect(holdsPrompts(sessionState({ hibernation: archiving }))).toBe(true);
    const asleep = sessionState({ dormant: true });
    expect(holdsPrompts(asleep)).toBe(true);
    expect(wakeForPrompt(asleep)).toEqual([]);
    asleep.queue.push({ id: "p1", text: "hi" });
    expect(wakeForPrompt(asleep)).toEqual([{ kind: "alarm" }, { kind: "start_sandbox" }]);
    expect(asleep.hibernation?.phase).toBe("waking");
    // Already waking: nothing more to start.
    expect(wakeForPrompt(asleep)).toEqual([]);
  });

  it("wakes only a dormant, live session", () => {
    expect(wake(null)).toEqual([]);
    expect(wake(sessionState())).toEqual([]);
    expect(wake(sessionState({ dormant: true, status: "ended" }))).toEqual([]);
    expect(wake(sessionState({ dormant: true }))).toEqual([{ kind: "alarm" }, { kind: "start_sandbox" }]);
  });
});

describe("onArchiveResult", () => {
  it("ignores a late or repeated result", () => {
    const state = sessionState({ hibernation: archiving });
    expect(onArchiveResult(state, { type: "archive_result", transfer_id: "other", op: "archive", ok: true, size: 1 })).toEqual([]);
    expect(state.hibernation).toEqual(archiving);
  });

  it("goes dormant once the archive is stored and nothing waits", () => {
    const state = sessionState({ hibernation: archiving, lastHeartbeatAt: 5 });
    expect(onArchiveResult(state, { type: "archive_result", transfer_id: "t1", op: "archive", ok: true, size: 10 })).toEqual([
      { kind: "status" },
      { kind: "sleep" },
    ]);
    expect(state).toMatchObject({
      dormant: true,
      hibernation: null,
      lastHeartbeatAt: null,
      archive: { key: archiveKey("s_test"), size: 10 },
    });
  });

  it("stays awake when work arrived while archiving, keeping the archive", () => {
    const state = sessionState({ hibernation: archiving, queue: [{ id: "p1", text: "hi" }] });
    expect(onArchiveResult(state, { type: "archive_result", transfer_id: "t1", op: "archive", ok: true, size: 10 })).toEqual([
      { kind: "pump" },
    ]);
    expect(state).toMatchObject({ dormant: false, hibernation: null, archive: { size: 10 } });
  });

  it("stays awake and says why when the archive failed", () => {
    const state = sessionState({ hibernation: archiving });
    expect(onArchiveResult(state, { type: "archive_result", transfer_id: "t1", op: "archive", ok: false, error: "disk full" })).toEqual([
      {
        kind: "emit",
        event: {
          type: "system",
          payload: { subtype: "hibernation_failed", message: "The session stays awake: the workspace could not be archived: disk full." },
        },
      },
      { kind: "pump" },
      { kind: "alarm" },
    ]);
    expect(state.hibernation).toBeNull();
  });

  it("configures the runner after a restore, starting a new conversation when it failed", () => {
    const restoring = { phase: "restoring" as const, transferId: "t2", since: 0 };
    const ok = sessionState({ dormant: true, hibernation: restoring, agentSessionId: "a1" });
    expect(onArchiveResult(ok, { type: "archive_result", transfer_id: "t2", op: "restore", ok: true, size: 10 })).toEqual([
      { kind: "status" },
      { kind: "configure" },
    ]);
    expect(ok).toMatchObject({ dormant: false, hibernation: null, agentSessionId: "a1" });
    const failed = sessionState({ dormant: true, hibernation: restoring, agentSessionId: "a1" });
    const effects = onArchiveResult(failed, { type: "archive_result", transfer_id: "t2", op: "restore", ok: false, error: "corrupt" });
    expect(effects.map((e) => e.kind)).toEqual(["emit", "status", "configure"]);
    expect(failed.agentSessionId).toBeNull();
  });
});

describe("onStepTimeout", () => {
  it("gives up archiving, ends a session whose sandbox never came back, and goes on after a slow restore", () => {
    expect(onStepTimeout(sessionState({ hibernation: archiving })).map((e) => e.kind)).toEqual(["emit", "pump", "alarm"]);
    expect(onStepTimeout(sessionState({ dormant: true, hibernation: { phase: "waking", transferId: "w", since: 0 } }))).toEqual([
      { kind: "end", reason: "startup_timeout", detail: "the sandbox did not connect after waking from hibernation" },
    ]);
    const slow = sessionState({ dormant: true, hibernation: { phase: "restoring", transferId: "r", since: 0 } });
    expect(onStepTimeout(slow).map((e) => e.kind)).toEqual(["emit", "status", "configure"]);
    expect(onStepTimeout(sessionState())).toEqual([]);
  });
});
