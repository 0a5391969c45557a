/**
 * The session Durable Object's machinery, beneath its entry points (session-do.ts): the state
 * and its row, the event log and broadcasting, the runner socket, the one alarm, and carrying out
 * the effects the pure modules return (effects.ts). Starting the sandbox, configuring a runner
 * and ending the session live here too, being what several entry points and effects lead to.
 *
 * Ordering: every stored event is appended to the log (SQLite, synchronous) before it is
 * broadcast, and broadcasting is synchronous too, so all clients see one order, and a client
 * resuming with `after_seq` gets exactly what it missed.
 */
import { DurableObject } from "cloudflare:workers";
import type { EndReason, ServerEventBody, StoredEventBody, WsErrorCode } from "../../schemas/events.ts";
import type { PlatformToRunner } from "../../schemas/runner.ts";
import { sessionTimers } from "../../platform/config.ts";
import { updateSessionIndex } from "../../platform/db/sessions.ts";
import type { Env } from "../../platform/env.ts";
import { CLOSE, broadcast, helloedRunner, replyEnvelope, safeClose, trySend } from "./client-sockets.ts";
import { deadlinesOf, endOfLife, type Deadline } from "./deadlines.ts";
import type { Effect, UiChange } from "./effects.ts";
import { EventLog } from "./event-log.ts";
import { FileTransfers } from "./file-transfer.ts";
import { Hibernation, holdsPrompts, wake, wakeForPrompt } from "./hibernation.ts";
import { applyUi, endSession, runnerExitEnd, statusEvent } from "./lifecycle.ts";
import { resolveRunnerSettings, sandboxEnvironment } from "./runner-config.ts";
import { RunnerReadyWaiters, readiness } from "./runner-ready.ts";
import { noticeMissingRunner, resumeLostSandbox } from "./sandbox-loss.ts";
import { sandboxFor } from "./sandbox/select.ts";
import { StateStore, indexFields, type SessionState } from "./session-state.ts";
import { hashToken, mintToken } from "./tokens.ts";
import { dispatchNext, mayDispatch, redelivery } from "./turn-queue.ts";

export abstract class SessionHost extends DurableObject<Env> {
  protected readonly store: StateStore;
  protected state: SessionState | null;
  #log: EventLog | null = null;
  /** A sandbox stop for hibernation under way: a start waits for it (startSandbox). */
  #stopping: Promise<void> | null = null;
  /** Requests waiting for the runner to be ready (runner-ready.ts). */
  protected readonly runnerReady = new RunnerReadyWaiters(() => readiness(this.state, this.runnerSocket()));
  /** Uploads and downloads (file-transfer.ts). */
  protected readonly files: FileTransfers;
  /** Going dormant and waking up (hibernation.ts). */
  protected readonly hibernation: Hibernation;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new StateStore(ctx.storage.sql);
    this.state = this.store.load();
    this.files = new FileTransfers(ctx.storage.sql, env, {
      state: () => this.state,
      readiness: () => this.runnerReady.now(),
      waitForRunner: (timeoutMs) => {
        const waking = wake(this.state); // no effects (nothing to commit) unless the session sleeps
        if (waking.length > 0) void this.apply(waking);
        return this.runnerReady.wait(timeoutMs);
      },
      emit: (event) => this.emit(event),
      reply: (ws, event) => this.reply(ws, event),
    });
    this.hibernation = new Hibernation(env);
    // After a restart of the runtime the runner's socket is gone without a close: check on it.
    if (this.state && noticeMissingRunner(this.state, ctx.getWebSockets("runner").length > 0, Date.now())) {
      const state = this.state;
      void ctx.blockConcurrencyWhile(async () => {
        this.store.save(state);
        await this.scheduleAlarm();
      });
    }
  }

  /** Forgets the event log of a deleted record (the next session in this object starts afresh). */
  protected forgetLog(): void {
    this.#log = null;
  }

  /** Answers a runner's hello: settings, acknowledgement, the prompt it must redo, the next one. */
  protected async configureRunner(ws: WebSocket): Promise<void> {
    const state = this.state!;
    if (state.status === "ended") return;
    const { settings, missing } = await resolveRunnerSettings(this.env, state);
    if (missing.length)
      this.emit({
        type: "system",
        payload: { subtype: "missing_secrets", message: `Org secrets not found: ${missing.join(", ")}; those variables are not set.` },
      });
    this.sendTo(ws, { type: "configure", settings });
    this.runnerReady.changed(); // awake (any restore done) and configured: waiting transfers go now
    this.sendTo(ws, { type: "ack", rseq: state.lastRseq });
    const redo = redelivery(state);
    if (redo) this.sendTo(ws, redo);
    this.setUi({ status: "running", uiState: state.inflight || state.queue.length ? "Running" : "Waiting" });
    this.pump();
    await this.scheduleAlarm();
  }

  /** Whether the runner process still lives; if not, the session's job is over. */
  protected async checkRunnerExit(): Promise<void> {
    const state = this.state!;
    state.runnerCheckAt = null;
    this.commit();
    if (this.runnerSocket()) return;
    const sandbox = await sandboxFor(this.env, state.init.id)
      .describe()
      .catch(() => null);
    // The record reports the runner's exit code (what the product's client reads as exit_code).
    if (sandbox?.lost) return this.apply(resumeLostSandbox(state));
    if (sandbox && !sandbox.running) state.exitCode = sandbox.exitCode;
    await this.perform(runnerExitEnd(sandbox));
  }

  /** Mints the sandbox's tokens and starts the runner. */
  protected async startSandbox(): Promise<void> {
    // A prompt that arrives while the sandbox is being stopped for hibernation wakes the session
    // at once: the start must follow the stop, or the host finds the old runner still running,
    // starts nothing, and the prompt waits for a runner that never comes (issue 14).
    await this.#stopping;
    const state = this.state!;
    const runnerToken = mintToken("rt");
    const gatewayToken = mintToken("gt");
    state.runnerTokenHash = await hashToken(runnerToken);
    state.gatewayTokenHash = await hashToken(gatewayToken);
    state.tokensExpireAt = endOfLife(state, sessionTimers(this.env));
    this.commit();
    try {
      await sandboxFor(this.env, state.init.id).start(sandboxEnvironment(state.init, { runner: runnerToken, gateway: gatewayToken }));
    } catch (error) {
      state.errorMessage = `sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`;
      this.commit();
      await this.end("failed", "the sandbox could not be started");
    }
  }

  /** Ends the session: final events, sockets closed, sandbox stopped, slot released. */
  protected async end(reason: EndReason, detail: string | null): Promise<void> {
    const state = this.state;
    const events = state ? endSession(state, reason, detail, new Date()) : null;
    if (!state || !events) return;
    this.commit();
    for (const event of events) this.emit(event);
    this.runnerReady.changed(); // waiting transfers answer that the session ended
    for (const ws of this.ctx.getWebSockets("client")) safeClose(ws, CLOSE.ended, `session ended: ${reason}`);
    for (const ws of this.ctx.getWebSockets("runner")) {
      this.sendTo(ws, { type: "shutdown" });
      safeClose(ws, CLOSE.ended, "session ended");
    }
    await this.scheduleAlarm();
    const quota = this.env.USER_QUOTA.get(this.env.USER_QUOTA.idFromName(state.init.userId));
    await Promise.allSettled([sandboxFor(this.env, state.init.id).stop(), quota.releaseSessionSlot(state.init.id), this.syncIndex()]);
    // A rule's debounce key this session held passes to the key's pending start (its slot is free by now).
    if (state.init.orgId) {
      const rules = this.env.ORG_RULE_STATE.get(this.env.ORG_RULE_STATE.idFromName(state.init.orgId));
      await rules.sessionEnded(state.init.id).catch((error) => console.error(`org rule state: ${String(error)}`));
    }
  }

  /**
   * Closes (4100) a client socket that connected to an ended session, after its `session_end`
   * frame: the product's client learns the end from that frame, not from the close code. A
   * resuming client whose replay (after `afterSeq`) already carried it does not get it twice.
   */
  protected closeEnded(ws: WebSocket, afterSeq: number | null): void {
    const end = this.log().newest("session_end");
    if (end && (afterSeq === null || afterSeq >= end.seq)) trySend(ws, JSON.stringify(end));
    safeClose(ws, CLOSE.ended, "session ended");
  }

  /** The session's deadlines (deadlines.ts); the one alarm is set to the earliest. */
  protected deadlines(): Deadline[] {
    return this.state ? deadlinesOf(this.state, sessionTimers(this.env)) : [];
  }

  /** Sets the one alarm to the earliest deadline, or clears it when there is none. */
  protected async scheduleAlarm(): Promise<void> {
    const next = Math.min(...this.deadlines().map((d) => d.at));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
  }

  /** The session's event log (event-log.ts). */
  protected log(): EventLog {
    this.#log ??= new EventLog(this.ctx.storage.sql, this.state?.init.id ?? "");
    return this.#log;
  }

  /** Saves the state row (session-state.ts). */
  protected commit(): void {
    if (this.state) this.store.save(this.state);
  }

  /** Stores an event, then broadcasts it to every client. */
  protected emit(event: StoredEventBody): void {
    const envelope = this.log().append(event);
    if (this.state) this.state.lastActivityAt = Date.now(); // saved with the next commit
    broadcast(this.ctx.getWebSockets("client"), envelope);
  }

  /** Applies UI-visible changes (lifecycle.ts); announces them and updates the index only when something changed. */
  protected setUi(change: UiChange): void {
    const event = applyUi(this.state!, change);
    if (!event) return;
    this.commit();
    this.emit(event);
    this.ctx.waitUntil(this.syncIndex());
  }

  /** Commits the state a pure module just changed, then carries out its effects. */
  protected async apply(effects: Effect[]): Promise<void> {
    this.commit();
    await this.perform(effects);
  }

  /** Carries out, in order, what a pure module decided (effects.ts). */
  protected async perform(effects: Effect[]): Promise<void> {
    for (const effect of effects) {
      switch (effect.kind) {
        case "emit":
          this.emit(effect.event);
          break;
        case "runner":
          this.sendRunner(effect.frame);
          break;
        case "ui":
          this.setUi(effect.change);
          break;
        case "pump":
          this.pump();
          break;
        case "alarm":
          await this.scheduleAlarm();
          break;
        case "end":
          await this.end(effect.reason, effect.detail);
          break;
        case "status":
          this.emit(statusEvent(this.state!));
          this.ctx.waitUntil(this.syncIndex());
          break;
        case "start_sandbox":
          void this.startSandbox(); // as on creation, in the background
          break;
        case "configure": {
          const runner = this.runnerSocket();
          if (runner) await this.configureRunner(runner);
          break;
        }
        case "checkpoint":
          await this.apply(await this.hibernation.checkpoint(this.state!, this.runnerSocket() !== null));
          break;
        case "sleep":
          await this.dismissSandbox();
          break;
      }
    }
  }

  /** Hibernating: the runner is told to shut down and the sandbox stopped; the session stays live. */
  protected async dismissSandbox(): Promise<void> {
    const state = this.state!;
    for (const ws of this.ctx.getWebSockets("runner")) {
      this.sendTo(ws, { type: "shutdown" });
      safeClose(ws, 1000, "session hibernating");
    }
    await this.scheduleAlarm();
    const stopping = sandboxFor(this.env, state.init.id)
      .stop()
      .catch((error: unknown) =>
        console.error(
          `session ${state.init.id}: stopping the sandbox for hibernation failed:`,
          error instanceof Error ? error.message : error,
        ),
      );
    this.#stopping = stopping;
    await stopping;
    if (this.#stopping === stopping) this.#stopping = null;
  }

  /** Mirrors the listing fields into D1, where GET /v1/sessions reads them. */
  protected async syncIndex(): Promise<void> {
    if (this.state) await updateSessionIndex(this.env.DB, this.state.init.id, indexFields(this.state));
  }

  /** The runner's open socket, if one is connected. */
  protected runnerSocket(): WebSocket | null {
    return this.ctx.getWebSockets("runner").find((ws) => ws.readyState === WebSocket.OPEN) ?? null;
  }

  /** Sends a frame to the runner, if one is connected. */
  protected sendRunner(frame: PlatformToRunner): void {
    const runner = this.runnerSocket();
    if (runner) this.sendTo(runner, frame);
  }

  /** Sends a runner-channel frame. */
  protected sendTo(ws: WebSocket, frame: PlatformToRunner): void {
    trySend(ws, JSON.stringify(frame));
  }

  /** Sends a reply meant for one client only: not stored, so its `seq` is null. */
  protected reply(ws: WebSocket, event: ServerEventBody): void {
    trySend(ws, replyEnvelope(this.state?.init.id ?? "", event, new Date()));
  }

  /** Replies an `error` to one client. */
  protected replyError(ws: WebSocket, code: WsErrorCode, message: string): void {
    this.reply(ws, { type: "error", payload: { code, message } });
  }

  /** Sends the next queued prompt when the agent is free (turn-queue.ts). */
  protected pump(): void {
    const state = this.state;
    if (!mayDispatch(state)) return;
    const waking = wakeForPrompt(state); // asleep with a prompt waiting: waking starts here
    if (waking.length > 0) void this.apply(waking);
    if (holdsPrompts(state)) return; // asleep, waking, archiving or restoring
    if (!helloedRunner(this.runnerSocket())) return; // none connected, or it has not said hello yet
    void this.apply(dispatchNext(state));
  }
}
