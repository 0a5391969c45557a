// A checkpoint in two halves (durable-objects/session/checkpoint-uploads.ts) without workerd:
// prompts wait for the snapshot only (no longer than the signature, for a runner that snapshots on
// receipt), the archive counts once stored, results out of order and the uploads of a sandbox
// that is gone are ignored.
import { describe, expect, it } from "vitest";
import { onArchivePacked } from "../../../durable-objects/session/checkpoint-uploads.ts";
import { archiveKey, Hibernation, holdsPrompts, onArchiveResult } from "../../../durable-objects/session/hibernation.ts";
import type { Env } from "../../../platform/env.ts";
import { greetRunner } from "../../../durable-objects/session/runner-frames.ts";
import { resumeLostSandbox } from "../../../durable-objects/session/sandbox-loss.ts";
import { sessionState } from "./state-fixture.ts";

const checkpoint = (transferId: string) => ({ phase: "archiving" as const, transferId, since: 1, checkpoint: true });
const stored = (transfer_id: string, size: number) => ({
  type: "archive_result" as const,
  transfer_id,
  op: "archive" as const,
  ok: true as const,
  size,
});
const packed = (transfer_id: string) => ({ type: "archive_packed" as const, transfer_id });
const previous = { key: archiveKey("s_test"), size: 5, at: "2026-01-01T00:00:00.000Z" };

/** Only what signing the archive's URL reads. */
const hibernation = new Hibernation({ FILES_SIGNING_KEY: "test-signing-key" } as Env);

describe("a checkpoint's archive frame", () => {
  it("is followed at once by the queued prompt for a runner that snapshots on receipt, held only while the URL is signed", async () => {
    const state = sessionState({ archive: previous, runnerSnapshotsOnReceipt: true, queue: [{ id: "p2", text: "next" }] });
    const signing = hibernation.checkpoint(state, true);
    expect(holdsPrompts(state)).toBe(true);
    const effects = await signing;
    expect(effects.map((e) => (e.kind === "runner" ? e.frame.type : e.kind))).toEqual(["archive", "pump", "alarm"]);
    const archive = effects[0]!.kind === "runner" ? effects[0]!.frame : null;
    expect(holdsPrompts(state)).toBe(false);
    expect(state.uploads).toEqual([{ transferId: archive?.type === "archive" ? archive.transfer_id : "?" }]);
    // Not the session's archive until stored; a late archive_packed changes nothing.
    expect(state.archive).toEqual(previous);
    expect(onArchivePacked(state, packed(state.uploads![0]!.transferId))).toEqual([]);
    expect(onArchiveResult(state, stored(state.uploads![0]!.transferId, 42))).toEqual([]);
    expect(state.archive?.size).toBe(42);
  });

  it("keeps holding prompts for a runner that did not say it snapshots on receipt, until its archive_packed", async () => {
    const state = sessionState({ archive: previous, runnerInstance: "old" });
    greetRunner(state, { type: "hello", runner_version: "0.1.0", runner_instance: "old" }, new Date());
    const effects = await hibernation.checkpoint(state, true);
    expect(effects.map((e) => (e.kind === "runner" ? e.frame.type : e.kind))).toEqual(["alarm", "archive"]);
    expect(holdsPrompts(state)).toBe(true);
    expect(onArchivePacked(state, packed(state.hibernation!.transferId))).toEqual([{ kind: "pump" }, { kind: "alarm" }]);
    expect(holdsPrompts(state)).toBe(false);
  });

  it("follows the runner's hello: a runner restarted as an older one is waited for again", () => {
    const state = sessionState({ runnerInstance: "one" });
    greetRunner(state, { type: "hello", runner_version: "0.1.0", runner_instance: "one", snapshot_on_receipt: true }, new Date());
    expect(state.runnerSnapshotsOnReceipt).toBe(true);
    greetRunner(state, { type: "hello", runner_version: "0.0.9", runner_instance: "two" }, new Date());
    expect(state.runnerSnapshotsOnReceipt).toBe(false);
  });
});

describe("a checkpoint's snapshot and upload", () => {
  it("lets prompts go once packed, and makes the archive the session's only once stored", () => {
    const state = sessionState({ hibernation: checkpoint("t1"), archive: previous, queue: [{ id: "p2", text: "next" }] });
    expect(holdsPrompts(state)).toBe(true);
    expect(onArchivePacked(state, packed("t1"))).toEqual([{ kind: "pump" }, { kind: "alarm" }]);
    expect(holdsPrompts(state)).toBe(false);
    expect(state.archive).toEqual(previous);
    expect(state.uploads).toEqual([{ transferId: "t1" }]);
    expect(onArchiveResult(state, stored("t1", 42))).toEqual([]);
    expect(state.archive).toMatchObject({ key: archiveKey("s_test"), size: 42 });
    expect(state.uploads).toEqual([]);
  });

  it("keeps holding prompts for the archive before sleep, which waits for its whole upload", () => {
    const state = sessionState({ hibernation: { phase: "archiving", transferId: "t1", since: 1 } });
    expect(onArchivePacked(state, packed("t1"))).toEqual([]);
    expect(holdsPrompts(state)).toBe(true);
    expect(onArchiveResult(state, stored("t1", 9))).toEqual([{ kind: "status" }, { kind: "sleep" }]);
    expect(state).toMatchObject({ dormant: true, archive: { size: 9 } });
  });

  it("ignores a packed frame of another transfer", () => {
    const state = sessionState({ hibernation: checkpoint("t1") });
    expect(onArchivePacked(state, packed("t0"))).toEqual([]);
    expect(holdsPrompts(state)).toBe(true);
  });

  it("records two uploads in order, and never an older one over a newer one stored first", () => {
    const state = sessionState({ hibernation: checkpoint("t1"), archive: previous });
    onArchivePacked(state, packed("t1"));
    state.hibernation = checkpoint("t2");
    onArchivePacked(state, packed("t2"));
    expect(state.uploads?.map((u) => u.transferId)).toEqual(["t1", "t2"]);
    expect(onArchiveResult(state, stored("t2", 20))).toEqual([]);
    expect(onArchiveResult(state, stored("t1", 10))).toEqual([]);
    expect(state.archive?.size).toBe(20);
  });

  it("keeps an earlier upload listed when a later one failed, and says so", () => {
    const state = sessionState({ hibernation: checkpoint("t1"), archive: previous });
    onArchivePacked(state, packed("t1"));
    state.hibernation = checkpoint("t2");
    onArchivePacked(state, packed("t2"));
    const failed = onArchiveResult(state, { type: "archive_result", transfer_id: "t2", op: "archive", ok: false, error: "refused" });
    expect(failed).toMatchObject([{ kind: "emit", event: { payload: { subtype: "checkpoint_failed" } } }]);
    onArchiveResult(state, stored("t1", 10));
    expect(state.archive?.size).toBe(10);
  });

  it("forgets the unfinished uploads of a sandbox that is gone: the last stored checkpoint stays the archive", () => {
    const lost = sessionState({ hibernation: checkpoint("t1"), archive: previous, inflight: { id: "p2", text: "next" } });
    onArchivePacked(lost, packed("t1"));
    const effects = resumeLostSandbox(lost);
    expect(effects).toContainEqual({ kind: "start_sandbox" });
    expect(lost.uploads).toEqual([]);
    expect(lost.archive).toEqual(previous);
    expect(onArchiveResult(lost, stored("t1", 42))).toEqual([]);
    expect(lost.archive).toEqual(previous);

    const restarted = sessionState({ hibernation: checkpoint("t1"), archive: previous, runnerInstance: "one" });
    onArchivePacked(restarted, packed("t1"));
    greetRunner(restarted, { type: "hello", runner_version: "test", runner_instance: "two" }, new Date());
    expect(restarted.uploads).toEqual([]);
  });
});
