/**
 * One Durable Object per session: the single writer of the session's lifecycle, event log
 * and pending requests, and the meeting point of two kinds of WebSocket:
 *
 * - client sockets (browser, CLI, SDK), any number, tagged "client";
 * - the runner socket, at most one, tagged "runner": the runner inside the sandbox dials in
 *   and *pushes* every agent event, so the DO never holds an open read on the sandbox.
 *
 * Both use the WebSocket Hibernation API (`ctx.acceptWebSocket`): while nobody speaks, the
 * runtime may evict this object from memory and keep the sockets open; the next frame
 * re-creates the object (constructor runs again, state reloads from SQLite) and delivers the
 * frame to `webSocketMessage`. Anything a socket must remember across that lives in its
 * attachment (`serializeAttachment`), never in a field.
 *
 * This file holds the entry points only (RPC, upgrades, socket frames, the alarm): each loads
 * the state, calls a pure module (turn-queue, pending-asks, lifecycle, runner-frames,
 * client-sockets) and performs what it returns through the machinery in session-host.ts.
 */
import type { EndReason, StoredEnvelope } from "../../schemas/events.ts";
import type { DownloadTicket, UploadCompleted, UploadRequest, UploadTicket } from "../../schemas/files.ts";
import type { ProfileSettings } from "../../schemas/profile.ts";
import type { Session } from "../../schemas/session.ts";
import { modelSimulated, sessionTimers } from "../../platform/config.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { deleteSessionRow } from "../../platform/db/sessions.ts";
import {
  FORWARD_HEADERS,
  type FileOutcome,
  type ForkPoint,
  type ModelAdmission,
  type ModelUsage,
  type SessionInit,
  type SessionRpc,
} from "../../platform/contracts/session.ts";
import {
  accessLapsed,
  attachmentOf,
  CLIENT_FRAMES_PER_SECOND,
  CLOSE,
  HISTORY_FRAME_BYTES,
  clientAttachment,
  closeSocketsOfKey,
  decodeClientFrame,
  resumeCursor,
  safeClose,
  setAttachment,
  trySend,
  withinFrameRate,
} from "./client-sockets.ts";
import type { ClientAttachment, RunnerAttachment } from "./client-sockets.ts";
import { deadlineEnd, type Deadline } from "./deadlines.ts";
import { onArchivePacked } from "./checkpoint-uploads.ts";
import { forkedEvent, forkPointOf, onArchiveResult, onStepTimeout } from "./hibernation.ts";
import { addUsage, admitModelCall, statusEvent, turnLimitReached } from "./lifecycle.ts";
import { answerApproval, answerQuestion, cancelAsk, expireAsk, openAsk, type AnswerOutcome } from "./pending-asks.ts";
import { ModelCallLedger } from "./model-calls.ts";
import { agentExited, decodeRunnerFrame, greetRunner, ingestEvents } from "./runner-frames.ts";
import { RUNNER_EXIT_CHECK_MS } from "./sandbox-loss.ts";
import { SessionHost } from "./session-host.ts";
import { nameFromPrompt } from "./session-name.ts";
import { initialState, toRecord } from "./session-state.ts";
import { bearerToken, tokenMatches } from "./tokens.ts";
import { admitPrompt, enqueuePrompt, interruptTurn, onTurnState, PROMPTS_PER_MINUTE } from "./turn-queue.ts";

export class SessionDO extends SessionHost implements SessionRpc {
  /** Model calls in flight: the concurrency cap and budget reservations (model-calls.ts). */
  readonly #modelCalls = new ModelCallLedger(this.ctx.storage.sql);

  // ----------------------------------------------------------------------------------------
  // RPC from the Worker

  /** Creates the session (idempotent for the same id) and starts its sandbox. */
  async create(init: SessionInit): Promise<Session> {
    if (this.state) return toRecord(this.state);
    const state = initialState(init, new Date());
    state.usage.simulated = modelSimulated(this.env);
    this.state = state;
    this.commit();
    this.emit(statusEvent(this.state!));
    if (init.forkOf) this.emit(forkedEvent(init.forkOf.sessionId));
    if (init.initialPrompt) this.acceptPrompt(init.initialPrompt);
    await this.scheduleAlarm();
    // The sandbox starts in the background: creation answers `starting` at once.
    this.ctx.waitUntil(this.startSandbox());
    return toRecord(state);
  }

  /** The session record, or null if this object holds no session. */
  async describe(): Promise<Session | null> {
    return this.state ? toRecord(this.state) : null;
  }

  /** The stored settings (secrets redacted) and their sealed secrets; the Worker opens them to capture a profile. */
  async storedSettings(): Promise<{ settings: ProfileSettings; sealedSecrets: string | null } | null> {
    return this.state ? { settings: this.state.init.settings, sealedSecrets: this.state.init.sealedSecrets ?? null } : null;
  }

  /** What a fork copies of this session: its archive and conversation, and whether it is settled. */
  async forkPoint(): Promise<ForkPoint | null> {
    return this.state ? forkPointOf(this.state) : null;
  }

  /** Closes the client sockets an org API key opened: the key was revoked or expired. */
  async closeClientsOfKey(keyId: string): Promise<number> {
    return closeSocketsOfKey(this.ctx.getWebSockets("client"), keyId);
  }

  /** Ends the session for `reason` (no-op when already ended). */
  async terminate(reason: EndReason, detail: string | null = null): Promise<Session | null> {
    if (!this.state) return null;
    await this.end(reason, detail);
    return toRecord(this.state);
  }

  /** Stored events after `afterSeq`, at most `limit`, and where the next page starts. */
  async history(afterSeq: number, limit: number): Promise<{ messages: StoredEnvelope[]; next_after_seq: number | null }> {
    if (!this.state) return { messages: [], next_after_seq: null };
    return this.log().page(afterSeq, limit);
  }

  /** Deletes everything this object stores; only for ended sessions. */
  async deleteRecord(): Promise<boolean> {
    if (!this.state || this.state.status !== "ended") return false;
    await this.files.deleteStoredFiles(this.state.init.id);
    await this.hibernation.deleteArchive(this.state.init.id);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.state = null;
    this.forgetLog();
    return true;
  }

  /** The model gateway asks whether `token` may call the model for this session. */
  async admitModelRequest(token: string): Promise<ModelAdmission> {
    const state = this.state;
    if (!state || !(await tokenMatches(token, state.gatewayTokenHash))) {
      return { allowed: false, reason: "bad_token", message: "invalid session gateway token" };
    }
    return admitModelCall(state, Date.now(), this.#modelCalls, this.runnerSocket() !== null);
  }

  /** The model gateway ends an admitted call: its reservation is released and what it used recorded. */
  async settleModelCall(callId: string, usage: ModelUsage | null): Promise<void> {
    this.#modelCalls.close(callId);
    if (usage) await this.recordModelUsage(usage);
  }

  /** The model gateway reports what one model call cost; the budget is enforced here. */
  async recordModelUsage(usage: ModelUsage): Promise<void> {
    const state = this.state;
    if (!state) return;
    const effects = addUsage(state, usage);
    this.commit();
    this.ctx.waitUntil(this.syncIndex()); // the new totals, before a spent budget ends the session
    await this.perform(effects);
  }

  /** Reserves an upload and signs its PUT URL on `base` (file-transfer.ts). */
  async requestUpload(input: UploadRequest, base: string): Promise<FileOutcome<UploadTicket>> {
    return this.files.requestUpload(input, base);
  }

  /** Has the runner fetch an uploaded file into the workspace, and waits for it. */
  async completeUpload(uploadId: string): Promise<FileOutcome<UploadCompleted>> {
    return this.files.completeUpload(uploadId);
  }

  /** Has the runner send a workspace file to R2, and signs its GET URL on `base`. */
  async requestDownload(path: string, base: string): Promise<FileOutcome<DownloadTicket>> {
    return this.files.requestDownload(path, base);
  }

  // ----------------------------------------------------------------------------------------
  // WebSocket upgrades, forwarded by the Worker after it authenticated the caller

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const role = request.headers.get(FORWARD_HEADERS.role);
    if (role === "runner") return this.acceptRunner(request);
    if (role === "client") return this.acceptClient(request);
    return new Response("unknown role", { status: 400 });
  }

  private acceptClient(request: Request): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const attachment = clientAttachment({
      user: request.headers.get(FORWARD_HEADERS.user),
      readOnly: request.headers.get(FORWARD_HEADERS.readOnly),
      expiresAt: request.headers.get(FORWARD_HEADERS.expiresAt),
      keyId: request.headers.get(FORWARD_HEADERS.keyId),
    });
    // A socket to a session that is gone or over gets its replay and its close at once, so it is
    // accepted outside the hibernation API: workerd ends the connection of a hibernatable socket
    // closed outside that socket's own event only when the object is evicted, 10 s or more later
    // (measured under Miniflare); a plain socket's connection ends as its closing handshake does.
    const live = this.state !== null && this.state.status !== "ended";
    if (live) {
      this.ctx.acceptWebSocket(server, ["client"]);
      setAttachment(server, attachment);
    } else server.accept();
    if (!this.state) {
      server.close(CLOSE.notFound, "session not found");
      return new Response(null, { status: 101, webSocket: client });
    }
    // Replay and registration happen in one synchronous stretch: no event can be appended
    // between the last replayed seq and the first live one, so nothing is lost or doubled.
    const afterSeq = resumeCursor(new URL(request.url).searchParams.get("after_seq"));
    if (afterSeq === null) this.reply(server, { type: "history", payload: { messages: this.log().newestWithin(HISTORY_FRAME_BYTES) } });
    else for (const envelope of this.log().allAfter(afterSeq)) trySend(server, JSON.stringify(envelope));
    if (!live) this.closeEnded(server, afterSeq);
    return new Response(null, { status: 101, webSocket: client });
  }

  private async acceptRunner(request: Request): Promise<Response> {
    const state = this.state;
    if (!state || !(await tokenMatches(bearerToken(request.headers.get("authorization")), state.runnerTokenHash))) {
      return Response.json({ error: "unauthorized", message: "invalid runner token" }, { status: 401 });
    }
    if (state.status === "ended") return Response.json({ error: "session_ended", message: "the session has ended" }, { status: 410 });
    // One runner at a time: a reconnecting runner replaces a socket that has not noticed it died.
    for (const old of this.ctx.getWebSockets("runner")) safeClose(old, CLOSE.reset, "replaced by a newer runner connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, ["runner"]);
    setAttachment(server, { kind: "runner", instance: null });
    return new Response(null, { status: 101, webSocket: client });
  }

  // ----------------------------------------------------------------------------------------
  // Hibernation handlers

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = attachmentOf(ws);
    if (!attachment) return;
    if (attachment.kind === "runner") return this.onRunnerMessage(ws, attachment, message);
    return this.onClientMessage(ws, attachment, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005 (no status) and 1006 (abnormal) may not be sent back; answer with a normal close.
    safeClose(ws, code === 1005 || code === 1006 ? 1000 : code, "closed");
    const attachment = attachmentOf(ws);
    const state = this.state;
    if (attachment?.kind === "runner" && state && state.status !== "ended" && !state.dormant && !this.runnerSocket()) {
      // The runner reconnects by itself after a network blip; if it does not, find out whether
      // its process ended (job_completed) rather than waiting for the heartbeat deadline.
      state.runnerCheckAt = Date.now() + RUNNER_EXIT_CHECK_MS;
      this.commit();
      await this.scheduleAlarm();
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    safeClose(ws, 1011, "socket error");
  }

  // ----------------------------------------------------------------------------------------
  // Client frames

  private async onClientMessage(ws: WebSocket, client: ClientAttachment, message: string | ArrayBuffer): Promise<void> {
    // An org key's socket lives no longer than the key (user sockets outlive their token: client-sockets.ts).
    if (accessLapsed(client, Date.now())) return safeClose(ws, CLOSE.auth, "the API key that opened this socket expired");
    if (!withinFrameRate(ws, Date.now())) {
      return this.replyError(ws, "rate_limited", `at most ${CLIENT_FRAMES_PER_SECOND} frames per second per connection`);
    }
    const decoded = decodeClientFrame(message);
    if (!decoded.ok) return this.replyError(ws, decoded.code, decoded.message);
    const frame = decoded.frame;
    if (frame.type === "heartbeat") return;
    const state = this.state;
    if (!state) return this.replyError(ws, "session_not_found", "session not found");
    if (client.readOnly) return this.replyError(ws, "invalid_message", "this connection is read-only");
    if (state.status === "ended") return this.replyError(ws, "session_not_running", "the session has ended");

    switch (frame.type) {
      case "prompt": {
        const admitted = admitPrompt(state, Date.now());
        if (!admitted.ok) {
          return this.replyError(
            ws,
            "rate_limited",
            `at most ${PROMPTS_PER_MINUTE} prompts per minute per session; retry in ${admitted.retryInSeconds} s`,
          );
        }
        this.acceptPrompt(frame.payload.text);
        return this.pump();
      }
      case "interrupt":
        return this.perform(interruptTurn(state));
      case "tool_approval_response":
        return this.answered(ws, answerApproval(state, frame.payload));
      case "ask_user_question_response":
        return this.answered(ws, answerQuestion(state, frame.payload));
      case "upload_request":
      case "upload_complete":
      case "download_request":
        // Not awaited: a transfer waits for the runner, and this socket's next frames must not.
        void this.files.onClientFrame(ws, frame).catch((error) => {
          console.error(`session ${state.init.id}: ${frame.type} failed:`, error instanceof Error ? error.message : error);
          this.reply(ws, {
            type: "error",
            payload: { code: "file_transfer_failed", message: "the file request failed; try again", request_id: frame.payload.request_id },
          });
        });
        return;
    }
  }

  /** Stores a prompt as a `user` event and queues it for the agent (turn-queue.ts). */
  private acceptPrompt(text: string): void {
    const state = this.state!;
    const named = state.init.name === null && (state.init.name = nameFromPrompt(text)) !== null;
    const effects = enqueuePrompt(state, { id: newId(), text }, this.runnerSocket() !== null);
    void this.perform(effects); // only events: they are stored before the state commits
    this.commit();
    if (named) this.ctx.waitUntil(this.syncIndex()); // the list shows the new name
  }

  /** Carries out a client's answer to an ask (pending-asks.ts), or tells that client why it was refused. */
  private async answered(ws: WebSocket, outcome: AnswerOutcome): Promise<void> {
    if (!outcome.ok) return this.replyError(ws, "invalid_message", outcome.message);
    await this.apply(outcome.effects);
  }

  // ----------------------------------------------------------------------------------------
  // Runner frames

  private async onRunnerMessage(ws: WebSocket, _runner: RunnerAttachment, message: string | ArrayBuffer): Promise<void> {
    const state = this.state;
    if (!state) return;
    const frame = decodeRunnerFrame(message);
    if (!frame) return console.warn(`session ${state.init.id}: dropped an invalid runner frame`);
    state.lastHeartbeatAt = Date.now();
    switch (frame.type) {
      case "hello": {
        setAttachment(ws, { kind: "runner", instance: greetRunner(state, frame, new Date()) });
        this.commit();
        // Waking from hibernation: the archive is restored first, `configure` follows its result.
        const { restoring, effects } = await this.hibernation.onHello(state);
        await this.apply(effects);
        if (restoring) return;
        return this.configureRunner(ws);
      }
      case "event":
      case "events": {
        // Store every new event of the frame in this one synchronous stretch (one durable
        // commit), acknowledge once, then apply the limits a finished turn may have reached.
        const { events, results } = ingestEvents(state, frame.type === "event" ? [frame] : frame.items);
        for (const event of events) this.emit(event);
        if (results.length > 0) this.commit();
        else this.store.saveCursor(state);
        this.sendTo(ws, { type: "ack", rseq: state.lastRseq });
        for (const subtype of results) await this.perform(turnLimitReached(state, subtype));
        return;
      }
      case "heartbeat":
        this.store.saveCursor(state);
        return;
      case "agent_session":
        state.agentSessionId = frame.agent_session_id;
        this.commit();
        return;
      case "turn_state":
        return this.apply(onTurnState(state, frame.state));
      case "permission_request":
        return this.apply(openAsk(state, frame, Date.now()));
      case "permission_cancelled":
        return this.apply(cancelAsk(state, frame.request_id));
      case "file_result":
        this.files.onRunnerResult(frame);
        return;
      case "archive_packed": {
        // From a runner that snapshots on receipt it changes nothing: no commit.
        const effects = onArchivePacked(state, frame);
        return effects.length > 0 ? this.apply(effects) : undefined;
      }
      case "archive_result":
        return this.apply(onArchiveResult(state, frame));
      case "agent_exited":
        // Claude Code could not run at all (an error: the session fails), or it died and restarts on the next prompt.
        return this.apply(agentExited(state, frame));
    }
  }

  // ----------------------------------------------------------------------------------------
  // Timers: one alarm, always at the earliest due deadline

  /** Carries out a deadline that has passed. */
  private async fire(deadline: Deadline): Promise<void> {
    const timers = sessionTimers(this.env);
    const ending = deadlineEnd(deadline, timers); // max_duration, startup_timeout, heartbeat_stale
    if (ending) return this.end(ending.reason, ending.detail);
    switch (deadline.kind) {
      case "purge":
        return this.purge();
      case "runner_check":
        return this.checkRunnerExit();
      case "approval_timeout":
        return this.apply(expireAsk(this.state!, deadline.pending, timers.approvalTimeout));
      case "idle_hibernate":
        return this.apply(await this.hibernation.begin(this.state!, this.runnerSocket() !== null, this.files.inFlight));
      case "hibernation_timeout":
        return this.apply(onStepTimeout(this.state!));
    }
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const deadline of this.deadlines()) {
      if (deadline.at <= now) await this.fire(deadline);
      if (this.state?.status === "ended" && deadline.at <= now) break;
    }
    if (this.state) await this.scheduleAlarm();
  }

  /** Retention over: forget the session entirely. */
  private async purge(): Promise<void> {
    const id = this.state?.init.id;
    await this.deleteRecord();
    if (id) await deleteSessionRow(this.env.DB, id);
  }
}
