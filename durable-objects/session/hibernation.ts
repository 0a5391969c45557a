/**
 * Hibernation and transparent resume (docs/api.md §4 `dormant`, ARCHITECTURE.md "Designed for what
 * comes next"), run inside the session's Durable Object.
 *
 * Going to sleep: after `IDLE_HIBERNATE_SECONDS` with no turn running, nothing queued and nothing
 * pending (deadlines.ts `idle_hibernate`), the runner is sent `archive` with a signed PUT URL; it
 * packs the workspace and Claude Code's conversation store for it into one tar.gz, uploads it and
 * answers `archive_result`. Then the session is marked `dormant`, the runner is told to shut down
 * and the sandbox is stopped. Nothing else is released: the session stays live and keeps its slot
 * in the owner's quota (waking must never fail for want of a slot, and a dormant session still
 * counts as one the user has open).
 *
 * Waking: the next prompt (or file request) starts the sandbox again with fresh tokens. When the
 * new runner says hello it first gets `restore` (a signed GET of the archive), and only after its
 * `archive_result` the usual `configure`, whose settings carry `resume_agent_session_id`, so Claude
 * Code continues the restored conversation. A failed restore is announced and the session goes on
 * with a fresh workspace and conversation rather than failing.
 *
 * The steps decide on the session state they are given and return effects (effects.ts) for the
 * DO to carry out; only the archive's signed URLs and its deletion (R2) are done here.
 */
import { SIGNED_URL_TTL_SECONDS } from "../../schemas/files.ts";
import type { AgentEventBody } from "../../schemas/events.ts";
import type { ArchiveResultFrame } from "../../schemas/runner.ts";
import type { ForkPoint } from "../../platform/contracts/session.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import type { Env } from "../../platform/env.ts";
import { archiveKey, deletePrefix, sessionPrefix } from "../../platform/files/blob-keys.ts";
import { blobSigningKey, signBlobUrl, type BlobMethod } from "../../platform/files/signed-url.ts";
import { dropUploads, onUploadResult, recordCheckpoint, snapshotTaken } from "./checkpoint-uploads.ts";
import type { Effect } from "./effects.ts";
import type { SessionState } from "./session-state.ts";

/** Signed archive URLs live as long as the step may take (the runner's transfer limit is below it). */
const ARCHIVE_URL_TTL_SECONDS = Math.max(SIGNED_URL_TTL_SECONDS, 15 * 60);

/** The R2 key of a session's archive (blob-keys.ts), re-exported for the steps' readers. */
export { archiveKey };

/** The session's hibernation steps. */
export class Hibernation {
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  /**
   * The idle deadline passed: ask the connected runner for an archive. A file transfer still in
   * the sandbox's hands counts as activity: the sandbox that holds it must not stop, so the
   * deadline moves one idle period on.
   */
  async begin(state: SessionState, runnerConnected: boolean, transfersInFlight: number): Promise<Effect[]> {
    if (state.status !== "running" || state.dormant || state.hibernation) return [];
    if (!runnerConnected) return [];
    if (transfersInFlight > 0) {
      state.lastActivityAt = Date.now();
      return [{ kind: "alarm" }];
    }
    const transferId = newId();
    const url = await this.#sign(state, "PUT", archiveKey(state.init.id));
    state.hibernation = { phase: "archiving", transferId, since: Date.now() };
    return [{ kind: "runner", frame: { type: "archive", transfer_id: transferId, url } }];
  }

  /**
   * A turn ended: checkpoint the workspace and the conversation (the same archive hibernation
   * makes), so a sandbox lost later (a crash, a platform restart) resumes from here with nothing
   * finished lost. Prompts wait for its snapshot (`holdsPrompts`): the archive must not catch a
   * turn half-done. A runner that snapshots on receipt takes it before it reads the next frame, so
   * a queued prompt goes right behind the `archive`; an older runner's `archive_packed` releases
   * it. The upload runs on after (checkpoint-uploads.ts).
   */
  async checkpoint(state: SessionState, runnerConnected: boolean): Promise<Effect[]> {
    if (state.status !== "running" || state.dormant || state.hibernation || state.pending.length > 0 || !runnerConnected) return [];
    const transferId = newId();
    // Marked before signing: a prompt the DO takes while it awaits the signature must wait too,
    // or it would reach the agent before the `archive` frame and the snapshot catch its turn.
    const step = { phase: "archiving" as const, transferId, since: Date.now(), checkpoint: true };
    state.hibernation = step;
    try {
      const url = await this.#sign(state, "PUT", archiveKey(state.init.id));
      if (state.hibernation !== step) return []; // the session ended meanwhile
      const archive: Effect = { kind: "runner", frame: { type: "archive", transfer_id: transferId, url } };
      if (!state.runnerSnapshotsOnReceipt) return [{ kind: "alarm" }, archive];
      // In this order: the prompt `snapshotTaken` lets go travels behind the `archive` on one socket.
      return [archive, ...snapshotTaken(state, transferId)];
    } catch (error) {
      if (state.hibernation === step) state.hibernation = null;
      throw error;
    }
  }

  /** Deletes the session's archive from R2 (its record is being deleted). */
  async deleteArchive(sessionId: string): Promise<void> {
    await deletePrefix(this.#env.FILES, `${sessionPrefix(sessionId)}archive/`);
  }

  /**
   * A runner said hello. While the session sleeps the archive is restored first: `restoring` is
   * true when `configure` must wait for that (it follows the restore's `archive_result`).
   */
  async onHello(state: SessionState): Promise<{ restoring: boolean; effects: Effect[] }> {
    if (!state.dormant) return { restoring: false, effects: [] };
    const archive = state.archive ?? null;
    if (!archive) return { restoring: false, effects: awake(state, null) };
    const transferId = newId();
    state.hibernation = { phase: "restoring", transferId, since: Date.now() };
    const url = await this.#sign(state, "GET", archive.key);
    return { restoring: true, effects: [{ kind: "runner", frame: { type: "restore", transfer_id: transferId, url, size: archive.size } }] };
  }

  async #sign(state: SessionState, method: BlobMethod, key: string): Promise<string> {
    const expiresAt = Math.floor(Date.now() / 1000) + ARCHIVE_URL_TTL_SECONDS;
    return signBlobUrl(await blobSigningKey(this.#env), state.init.platformUrl, { method, key, expiresAt });
  }
}

/**
 * Called before a prompt is sent: true while prompts must wait (a step is under way, or the
 * session sleeps). A sleeping session with a prompt queued starts waking: see `wakeForPrompt`.
 */
export function holdsPrompts(state: SessionState): boolean {
  return state.dormant || Boolean(state.hibernation);
}

/** A prompt waits in a sleeping session: wake it (the effects of `wake`, or none). */
export function wakeForPrompt(state: SessionState): Effect[] {
  return state.dormant && !state.hibernation && state.status === "running" && state.queue.length > 0 ? wake(state) : [];
}

/** Starts the sandbox of a dormant session again (no effects unless dormant and not already waking). */
export function wake(state: SessionState | null): Effect[] {
  if (!state || !state.dormant || state.hibernation || state.status === "ended") return [];
  state.hibernation = { phase: "waking", transferId: newId(), since: Date.now() };
  return [{ kind: "alarm" }, { kind: "start_sandbox" }];
}

/** The runner's answer to `archive` or `restore`. */
export function onArchiveResult(state: SessionState, frame: ArchiveResultFrame): Effect[] {
  const step = state.hibernation;
  // A checkpoint uploading after its snapshot (checkpoint-uploads.ts), or late or repeated.
  if (!step || step.transferId !== frame.transfer_id) return onUploadResult(state, frame);
  if (frame.op === "archive" && step.phase === "archiving" && step.checkpoint) return checkpointDone(state, frame);
  if (frame.op === "archive" && step.phase === "archiving") {
    if (!frame.ok) return abandonArchive(state, `the workspace could not be archived: ${frame.error}`);
    state.archive = { key: archiveKey(state.init.id), size: frame.size, at: new Date().toISOString() };
    dropUploads(state); // uploaded after every one still listed: those are superseded
    state.hibernation = null;
    // Work arrived while archiving: stay awake (the archive is kept, and replaced next time).
    if (state.inflight || state.queue.length > 0 || state.pending.length > 0) return [{ kind: "pump" }];
    return sleep(state);
  }
  if (frame.op === "restore" && step.phase === "restoring") {
    return [...awake(state, frame.ok ? null : frame.error), { kind: "configure" }];
  }
  return [];
}

/** A step did not finish in time. */
export function onStepTimeout(state: SessionState): Effect[] {
  const step = state.hibernation;
  if (!step) return [];
  switch (step.phase) {
    case "archiving":
      if (step.checkpoint) return checkpointDone(state, { ok: false, error: "the checkpoint did not finish in time" });
      return abandonArchive(state, "the workspace archive did not finish in time");
    case "waking":
      state.hibernation = null;
      return [{ kind: "end", reason: "startup_timeout", detail: "the sandbox did not connect after waking from hibernation" }];
    case "restoring":
      return [...awake(state, "the restore did not finish in time"), { kind: "configure" }];
  }
}

/**
 * A checkpoint's result arrived while its snapshot still held prompts (an older runner: no
 * `archive_packed` came first, because packing failed or it never sends one), or it timed out:
 * the session goes on either way.
 */
function checkpointDone(state: SessionState, result: { ok: true; size: number } | { ok: false; error: string }): Effect[] {
  state.hibernation = null;
  if (result.ok) dropUploads(state); // uploaded after every one still listed: those are superseded
  return [...recordCheckpoint(state, result), { kind: "pump" }, { kind: "alarm" }];
}

/** Archive stored: mark dormant, send the runner away, stop the sandbox. */
function sleep(state: SessionState): Effect[] {
  state.dormant = true;
  state.lastHeartbeatAt = null;
  state.runnerCheckAt = null;
  return [{ kind: "status" }, { kind: "sleep" }];
}

/** Awake again: a failed restore (`failure`) means a fresh workspace and a new conversation. */
function awake(state: SessionState, failure: string | null): Effect[] {
  state.hibernation = null;
  state.dormant = false;
  if (failure !== null) state.agentSessionId = null;
  const effects: Effect[] = [];
  if (failure !== null) {
    const message = `The workspace could not be restored after hibernation (${failure}); continuing with a fresh workspace and a new conversation.`;
    effects.push({ kind: "emit", event: { type: "system", payload: { subtype: "restore_failed", message } } });
  }
  return [...effects, { kind: "status" }];
}

function abandonArchive(state: SessionState, reason: string): Effect[] {
  state.hibernation = null;
  state.lastActivityAt = Date.now(); // try again after another idle period
  return [
    { kind: "emit", event: { type: "system", payload: { subtype: "hibernation_failed", message: `The session stays awake: ${reason}.` } } },
    { kind: "pump" },
    { kind: "alarm" },
  ];
}

/**
 * What a fork copies of a session: a fork is a wake of a copy of the archive. Only a session whose
 * sandbox is down (dormant, or ended) is settled; an awake one (archiving included) is `running`.
 * The archive counts only while it is the workspace as it is now: the session sleeps, or ended
 * asleep (one that ended awake lost the work done since its last sleep: no archive to fork).
 */
export function forkPointOf(state: SessionState): ForkPoint {
  const ended = state.status === "ended";
  const current = ended ? state.endedDormant === true : state.dormant;
  return { archive: current ? (state.archive ?? null) : null, agentSessionId: state.agentSessionId, running: !ended && !state.dormant };
}

/** The first event of a fork, saying where it came from. */
export function forkedEvent(sourceId: string): AgentEventBody {
  return {
    type: "system",
    payload: {
      subtype: "forked",
      message: `Forked from session ${sourceId}: its workspace and conversation are restored before the first turn.`,
    },
  };
}
