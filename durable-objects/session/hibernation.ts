/**
 * Hibernation and transparent resume (API.md §4 `dormant`, ARCHITECTURE.md "Designed for what
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
 */
import type { EndReason, StoredEventBody } from "../../schemas/events.ts";
import { SIGNED_URL_TTL_SECONDS } from "../../schemas/files.ts";
import type { ArchiveResultFrame, PlatformToRunner } from "../../schemas/runner.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import type { Env } from "../../platform/env.ts";
import { blobKey, deletePrefix, sessionPrefix } from "../../platform/files/blob-keys.ts";
import { blobSigningKey, signBlobUrl, type BlobMethod } from "../../platform/files/signed-url.ts";
import { sandboxFor } from "./sandbox/select.ts";
import type { SessionState } from "./session-state.ts";

/** Signed archive URLs live as long as the step may take (the runner's transfer limit is below it). */
const ARCHIVE_URL_TTL_SECONDS = Math.max(SIGNED_URL_TTL_SECONDS, 15 * 60);

/** The R2 key of a session's archive: one per session, each hibernation replaces it. */
export function archiveKey(sessionId: string): string {
  return blobKey({ sessionId, kind: "archive", id: "latest", name: "workspace.tar.gz" });
}

/** What the session DO lends this module. */
export interface HibernationHost {
  state(): SessionState | null;
  /** The runner's socket, when one is connected (and said hello). */
  runner(): WebSocket | null;
  /** Every runner socket, open or not. */
  runnerSockets(): WebSocket[];
  send(ws: WebSocket, frame: PlatformToRunner): void;
  emit(event: StoredEventBody): void;
  commit(): void;
  /** Emits `session_status` and mirrors the record into the index. */
  statusChanged(): void;
  /** Mints new tokens and starts the sandbox (as on creation). */
  startSandbox(): Promise<void>;
  /** Sends `configure` and what follows a runner's hello. */
  configureRunner(ws: WebSocket): Promise<void>;
  pump(): void;
  scheduleAlarm(): Promise<void>;
  end(reason: EndReason, detail: string | null): Promise<void>;
}

/** The session's hibernation steps. */
export class Hibernation {
  readonly #env: Env;
  readonly #host: HibernationHost;

  constructor(env: Env, host: HibernationHost) {
    this.#env = env;
    this.#host = host;
  }

  /** The idle deadline passed: ask the runner for an archive. */
  async begin(): Promise<void> {
    const state = this.#host.state();
    if (!state || state.status !== "running" || state.dormant || state.hibernation) return;
    const runner = this.#host.runner();
    if (!runner) return;
    const transferId = newId();
    const url = await this.#sign("PUT", archiveKey(state.init.id));
    state.hibernation = { phase: "archiving", transferId, since: Date.now() };
    this.#host.commit();
    this.#host.send(runner, { type: "archive", transfer_id: transferId, url });
  }

  /**
   * Called before a prompt is sent: true while prompts must wait (a step is under way, or the
   * session sleeps, in which case waking starts here).
   */
  holdsPrompts(): boolean {
    const state = this.#host.state();
    if (!state) return false;
    if (state.dormant && !state.hibernation && state.status === "running" && state.queue.length > 0) this.wake();
    return state.dormant || Boolean(state.hibernation);
  }

  /** Starts the sandbox of a dormant session again (no-op unless dormant and not already waking). */
  wake(): void {
    const state = this.#host.state();
    if (!state || !state.dormant || state.hibernation || state.status === "ended") return;
    state.hibernation = { phase: "waking", transferId: newId(), since: Date.now() };
    this.#host.commit();
    void this.#host.scheduleAlarm();
    void this.#host.startSandbox();
  }

  /**
   * A runner said hello. While the session sleeps the archive is restored first; true when
   * `configure` must wait for that (it follows the restore's `archive_result`).
   */
  async onHello(ws: WebSocket): Promise<boolean> {
    const state = this.#host.state();
    if (!state?.dormant) return false;
    const archive = state.archive ?? null;
    if (!archive) {
      this.#awake(null);
      return false;
    }
    const transferId = newId();
    state.hibernation = { phase: "restoring", transferId, since: Date.now() };
    this.#host.commit();
    this.#host.send(ws, { type: "restore", transfer_id: transferId, url: await this.#sign("GET", archive.key), size: archive.size });
    return true;
  }

  /** The runner's answer to `archive` or `restore`. */
  async onResult(ws: WebSocket, frame: ArchiveResultFrame): Promise<void> {
    const state = this.#host.state();
    const step = state?.hibernation;
    if (!state || !step || step.transferId !== frame.transfer_id) return; // late or repeated
    if (frame.op === "archive" && step.phase === "archiving") {
      if (!frame.ok) return this.#abandonArchive(`the workspace could not be archived: ${frame.error}`);
      state.archive = { key: archiveKey(state.init.id), size: frame.size, at: new Date().toISOString() };
      state.hibernation = null;
      // Work arrived while archiving: stay awake (the archive is kept, and replaced next time).
      if (state.inflight || state.queue.length > 0 || state.pending.length > 0) {
        this.#host.commit();
        this.#host.pump();
        return;
      }
      await this.#sleep();
      return;
    }
    if (frame.op === "restore" && step.phase === "restoring") {
      this.#awake(frame.ok ? null : frame.error);
      await this.#host.configureRunner(ws);
    }
  }

  /** A step did not finish in time. */
  async onTimeout(): Promise<void> {
    const state = this.#host.state();
    const step = state?.hibernation;
    if (!state || !step) return;
    switch (step.phase) {
      case "archiving":
        return this.#abandonArchive("the workspace archive did not finish in time");
      case "waking":
        state.hibernation = null;
        this.#host.commit();
        return this.#host.end("startup_timeout", "the sandbox did not connect after waking from hibernation");
      case "restoring": {
        this.#awake("the restore did not finish in time");
        const runner = this.#host.runner();
        if (runner) await this.#host.configureRunner(runner);
        return;
      }
    }
  }

  /** Deletes the session's archive from R2 (its record is being deleted). */
  async deleteArchive(sessionId: string): Promise<void> {
    await deletePrefix(this.#env.FILES, `${sessionPrefix(sessionId)}archive/`);
  }

  /** Archive stored: mark dormant, send the runner away, stop the sandbox. */
  async #sleep(): Promise<void> {
    const state = this.#host.state()!;
    state.dormant = true;
    state.lastHeartbeatAt = null;
    state.runnerCheckAt = null;
    this.#host.commit();
    this.#host.statusChanged();
    for (const ws of this.#host.runnerSockets()) {
      this.#host.send(ws, { type: "shutdown" });
      try {
        ws.close(1000, "session hibernating");
      } catch {
        // already closed
      }
    }
    await this.#host.scheduleAlarm();
    await sandboxFor(this.#env, state.init.id)
      .stop()
      .catch((error: unknown) => console.error(`session ${state.init.id}: stopping the sandbox for hibernation failed:`, error instanceof Error ? error.message : error));
  }

  /** Awake again: a failed restore (`failure`) means a fresh workspace and a new conversation. */
  #awake(failure: string | null): void {
    const state = this.#host.state()!;
    state.hibernation = null;
    state.dormant = false;
    if (failure !== null) state.agentSessionId = null;
    this.#host.commit();
    if (failure !== null) {
      this.#host.emit({ type: "system", payload: { subtype: "restore_failed", message: `The workspace could not be restored after hibernation (${failure}); continuing with a fresh workspace and a new conversation.` } });
    }
    this.#host.statusChanged();
  }

  #abandonArchive(reason: string): void {
    const state = this.#host.state()!;
    state.hibernation = null;
    state.lastActivityAt = Date.now(); // try again after another idle period
    this.#host.commit();
    this.#host.emit({ type: "system", payload: { subtype: "hibernation_failed", message: `The session stays awake: ${reason}.` } });
    this.#host.pump();
    void this.#host.scheduleAlarm();
  }

  async #sign(method: BlobMethod, key: string): Promise<string> {
    const state = this.#host.state()!;
    const expiresAt = Math.floor(Date.now() / 1000) + ARCHIVE_URL_TTL_SECONDS;
    return signBlobUrl(await blobSigningKey(this.#env), state.init.platformUrl, { method, key, expiresAt });
  }
}
