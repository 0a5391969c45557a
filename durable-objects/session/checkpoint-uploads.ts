/**
 * A turn's checkpoint in two halves (hibernation.ts `checkpoint`). The next prompt waits only
 * until the runner has copied Claude Code's transcript aside, which the next prompt would append
 * to (a few milliseconds, in-process). A runner that says `snapshot_on_receipt` in its hello
 * does that before it reads its next frame, and frames on its one socket arrive in order, so the
 * DO sends the prompt right behind the `archive` (`snapshotTaken` at once); an older runner's
 * `archive_packed` lets it go. The runner's tar then reads the workspace and that copy in the
 * background, holding the next turn's tool calls until it has (so the workspace is the turn's as
 * it ended), and the packed file uploads after. A tar that fails after that reports like a failed
 * upload. Only the upload's `archive_result` makes it the session's archive (what a wake or a
 * lost sandbox restores): until then the previous checkpoint is the one that exists, and a
 * sandbox lost meanwhile resumes from that, exactly as if the next prompt had not started.
 *
 * The runner uploads one archive at a time, in the order it packed them (container/runner/
 * archive-uploads.ts), so results arrive in that order; one that still arrives after a newer
 * archive's result is ignored, never recorded over it.
 *
 * Pure: functions of the session state and one frame that update the state in place and return
 * effects (effects.ts).
 */
import type { ArchivePackedFrame, ArchiveResultFrame } from "../../schemas/runner.ts";
import { archiveKey } from "../../platform/files/blob-keys.ts";
import type { Effect } from "./effects.ts";
import type { SessionState } from "./session-state.ts";

/**
 * An older runner took a checkpoint's snapshot: prompts may go, the upload runs on. No effects
 * (nothing to commit) for any other: a runner that snapshots on receipt had its prompt already.
 */
export function onArchivePacked(state: SessionState, frame: ArchivePackedFrame): Effect[] {
  const step = state.hibernation;
  // Only a checkpoint lets prompts go early: going to sleep waits for the whole upload.
  if (!step || step.transferId !== frame.transfer_id || step.phase !== "archiving" || !step.checkpoint) return [];
  return snapshotTaken(state, frame.transfer_id);
}

/** The checkpoint `transferId`'s snapshot is fixed: it is listed as uploading, and prompts may go. */
export function snapshotTaken(state: SessionState, transferId: string): Effect[] {
  state.hibernation = null;
  state.uploads = [...(state.uploads ?? []), { transferId }];
  return [{ kind: "pump" }, { kind: "alarm" }];
}

/**
 * The result of a checkpoint whose upload ran in the background; no effects for one that is not
 * listed (late, repeated, or superseded by a newer archive stored first).
 */
export function onUploadResult(state: SessionState, frame: ArchiveResultFrame): Effect[] {
  const uploads = state.uploads ?? [];
  const index = frame.op === "archive" ? uploads.findIndex((upload) => upload.transferId === frame.transfer_id) : -1;
  if (index < 0) return [];
  // Stored: the uploads packed before it are superseded (a result of theirs would be older than
  // this archive). Failed: only this one is over; one packed earlier may still be stored.
  state.uploads = frame.ok ? uploads.slice(index + 1) : uploads.filter((_, i) => i !== index);
  return recordCheckpoint(state, frame);
}

/**
 * Forgets every upload listed: a newer archive was stored (the step under way: a checkpoint that
 * never reported `archive_packed`, or the archive before sleep), or the sandbox that was uploading
 * is gone (a new runner process, a lost sandbox) and its unfinished uploads will never report.
 */
export function dropUploads(state: SessionState): void {
  state.uploads = [];
}

/** A checkpoint's archive was stored (the session's archive now) or failed (the previous one stays). */
export function recordCheckpoint(state: SessionState, result: { ok: true; size: number } | { ok: false; error: string }): Effect[] {
  if (result.ok) {
    state.archive = { key: archiveKey(state.init.id), size: result.size, at: new Date().toISOString() };
    return [];
  }
  // R2 keeps the previous archive when an upload fails: a lost sandbox resumes from that one.
  const message = `The workspace checkpoint failed (${result.error}); a lost sandbox would resume from the previous one.`;
  return [{ kind: "emit", event: { type: "system", payload: { subtype: "checkpoint_failed", message } } }];
}
