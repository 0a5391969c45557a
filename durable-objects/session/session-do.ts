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
 * Ordering: every stored event is appended to the log (SQLite, synchronous) before it is
 * broadcast, and broadcasting is synchronous too, so all clients see one order, and a client
 * resuming with `after_seq` gets exactly what it missed.
 */
import { DurableObject } from "cloudflare:workers";
import { CLOSE } from "../../client-core/close-codes.ts";
import { ClientFrame, clientFrameText } from "../../schemas/client-frames.ts";
import { isPermissionPattern } from "../../schemas/permissions.ts";
import type { EndReason, ServerEventBody, StoredEnvelope, StoredEventBody, WsErrorCode } from "../../schemas/events.ts";
import type { DownloadTicket, UploadCompleted, UploadRequest, UploadTicket } from "../../schemas/files.ts";
import { RunnerToPlatform, type PlatformToRunner, type RunnerSettings } from "../../schemas/runner.ts";
import type { ProfileSettings } from "../../schemas/profile.ts";
import type { Session } from "../../schemas/session.ts";
import { sessionTimers } from "../../platform/config.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { resolveSecretReferences } from "../../platform/db/org-secrets.ts";
import { openSessionSettings } from "../../platform/secrets/profile-secrets.ts";
import { FORWARD_HEADERS, type CredentialRef, type FileOutcome, type ModelAdmission, type ModelUsage, type SessionInit, type SessionRpc } from "../../platform/contracts/session.ts";
import type { Env } from "../../platform/env.ts";
import { deadlinesOf, endOfLife, type Deadline } from "./deadlines.ts";
import { EventLog } from "./event-log.ts";
import { runnerSettingsFor, sandboxEnvironment } from "./runner-config.ts";
import { FileTransfers } from "./file-transfer.ts";
import { ModelCallLedger, refusalMessage } from "./model-calls.ts";
import { Hibernation } from "./hibernation.ts";
import { decideToolUse, sessionPatterns } from "./permissions/engine.ts";
import { sandboxFor } from "./sandbox/select.ts";
import { answersByQuestionText, questionsOf } from "./question-answers.ts";
import { StateStore, initialState, toRecord, type PendingRequest, type SessionState } from "./session-state.ts";
import { hashToken, mintToken, sameDigest } from "./tokens.ts";

/** Largest client frame accepted (API.md §5); larger ones get `message_too_large`. */
export const MAX_CLIENT_FRAME_BYTES = 1024 * 1024;
/** Budget for the one `history` frame sent on connect; older events are paged over REST. */
const HISTORY_FRAME_BYTES = 768 * 1024;
/** Prompts one session accepts per minute (API.md §9). */
export const PROMPTS_PER_MINUTE = 60;
/** Frames one client connection may send per second (API.md §9). */
export const CLIENT_FRAMES_PER_SECOND = 100;
/** After the runner's socket closes, how long it has to reconnect before we ask whether it exited. */
const RUNNER_EXIT_CHECK_MS = 3_000;

/**
 * Frame counts per client socket for the 100/s limit. Kept in memory on purpose: a one-second
 * window does not need to survive hibernation (a woken object starts counting afresh).
 */
const frameTimes = new WeakMap<WebSocket, number[]>();

/** Records a frame on `ws`; false when it is the 101st within the last second (a sliding window). */
function withinFrameRate(ws: WebSocket, now: number): boolean {
  const times = frameTimes.get(ws) ?? [];
  frameTimes.set(ws, times);
  while (times.length > 0 && times[0]! <= now - 1000) times.shift();
  if (times.length >= CLIENT_FRAMES_PER_SECOND) return false;
  times.push(now);
  return true;
}

/** Who is on the other end of a socket; survives hibernation as the socket's attachment. */
type SocketAttachment =
  | { kind: "client"; userId: string; readOnly: boolean; expiresAt: number | null; /** The org API key that opened it, if any. */ keyId?: string | null }
  | { kind: "runner"; instance: string | null };

export class SessionDO extends DurableObject<Env> implements SessionRpc {
  private readonly store: StateStore;
  private state: SessionState | null;
  private logCache: EventLog | null = null;
  /** Uploads and downloads (file-transfer.ts). */
  private readonly files: FileTransfers;
  /** Going dormant and waking up (hibernation.ts). */
  private readonly hibernation: Hibernation;
  /** Model calls in flight: the concurrency cap and budget reservations (model-calls.ts). */
  readonly #modelCalls = new ModelCallLedger(this.ctx.storage.sql);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new StateStore(ctx.storage.sql);
    this.state = this.store.load();
    this.files = new FileTransfers(ctx.storage.sql, env, {
      state: () => this.state,
      runner: () => this.runnerSocket(),
      emit: (event) => this.emit(event),
      reply: (ws, event) => this.reply(ws, event),
    });
    this.hibernation = new Hibernation(env, {
      state: () => this.state,
      runner: () => this.runnerSocket(),
      runnerSockets: () => this.ctx.getWebSockets("runner"),
      send: (ws, frame) => this.sendTo(ws, frame),
      emit: (event) => this.emit(event),
      commit: () => this.commit(),
      statusChanged: () => {
        this.emit({ type: "session_status", payload: this.statusPayload() });
        this.ctx.waitUntil(this.syncIndex());
      },
      startSandbox: () => this.startSandbox(),
      configureRunner: (ws) => this.configureRunner(ws),
      pump: () => this.pump(),
      scheduleAlarm: () => this.scheduleAlarm(),
      end: (reason, detail) => this.end(reason, detail),
    });
  }

  // ----------------------------------------------------------------------------------------
  // RPC from the Worker

  /** Creates the session (idempotent for the same id) and starts its sandbox. */
  async create(init: SessionInit): Promise<Session> {
    if (this.state) return toRecord(this.state);
    const state = initialState(init, new Date());
    this.state = state;
    this.commit();
    this.emit({ type: "session_status", payload: this.statusPayload() });
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

  /** Closes the client sockets an org API key opened: the key was revoked or expired. */
  async closeClientsOfKey(keyId: string): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets("client")) {
      const attachment = ws.deserializeAttachment() as SocketAttachment | null;
      if (attachment?.kind !== "client" || attachment.keyId !== keyId) continue;
      safeClose(ws, CLOSE.auth, "the API key that opened this socket was revoked");
      closed++;
    }
    return closed;
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
    this.logCache = null;
    return true;
  }

  /** The model gateway asks whether `token` may call the model for this session. */
  async admitModelRequest(token: string): Promise<ModelAdmission> {
    const state = this.state;
    if (!state || !state.gatewayTokenHash || !sameDigest(await hashToken(token), state.gatewayTokenHash)) {
      return { allowed: false, reason: "bad_token", message: "invalid session gateway token" };
    }
    if (state.status === "ended") return { allowed: false, reason: "session_ended", message: "the session has ended" };
    if (state.tokensExpireAt !== null && Date.now() > state.tokensExpireAt) return { allowed: false, reason: "expired", message: "the session gateway token expired" };
    const budget = state.init.settings.max_budget_usd;
    const call = this.#modelCalls.open(Date.now(), state.usage.cost_usd, budget);
    if (!call.ok) return { allowed: false, reason: call.refusal, message: refusalMessage(call.refusal, budget) };
    return { allowed: true, callId: call.callId, userId: state.init.userId, orgId: state.init.orgId ?? null, credential: state.init.credential ?? { kind: "user" } };
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
    state.usage.input_tokens += usage.input_tokens;
    state.usage.output_tokens += usage.output_tokens;
    state.usage.cache_creation_input_tokens += usage.cache_creation_input_tokens;
    state.usage.cache_read_input_tokens += usage.cache_read_input_tokens;
    state.usage.cost_usd = Math.round((state.usage.cost_usd + usage.cost_usd) * 1e6) / 1e6;
    this.commit();
    this.emit({ type: "usage_delta", payload: { ...usage, total_cost_usd: state.usage.cost_usd } });
    this.ctx.waitUntil(this.syncIndex());
    const budget = state.init.settings.max_budget_usd;
    if (budget !== null && state.usage.cost_usd >= budget && state.status !== "ended") {
      await this.end("completed", `max_budget_usd exceeded ($${state.usage.cost_usd} of $${budget})`);
    }
  }

  /** Reserves an upload and signs its PUT URL on `base` (file-transfer.ts). */
  async requestUpload(input: UploadRequest, base: string): Promise<FileOutcome<UploadTicket>> {
    return this.files.requestUpload(input, base);
  }

  /** Has the runner fetch an uploaded file into the workspace, and waits for it. */
  async completeUpload(uploadId: string): Promise<FileOutcome<UploadCompleted>> {
    this.hibernation.wake(); // a sleeping session's runner is needed: the client retries meanwhile
    return this.files.completeUpload(uploadId);
  }

  /** Has the runner send a workspace file to R2, and signs its GET URL on `base`. */
  async requestDownload(path: string, base: string): Promise<FileOutcome<DownloadTicket>> {
    this.hibernation.wake();
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
    const attachment: SocketAttachment = {
      kind: "client",
      userId: request.headers.get(FORWARD_HEADERS.user) ?? "",
      readOnly: request.headers.get(FORWARD_HEADERS.readOnly) === "1",
      expiresAt: Number(request.headers.get(FORWARD_HEADERS.expiresAt)) || null,
      keyId: request.headers.get(FORWARD_HEADERS.keyId) || null,
    };
    this.ctx.acceptWebSocket(server, ["client"]);
    server.serializeAttachment(attachment);
    if (!this.state) {
      server.close(CLOSE.notFound, "session not found");
      return new Response(null, { status: 101, webSocket: client });
    }
    // Replay and registration happen in one synchronous stretch: no event can be appended
    // between the last replayed seq and the first live one, so nothing is lost or doubled.
    const afterParam = new URL(request.url).searchParams.get("after_seq");
    const afterSeq = afterParam === null ? null : Number(afterParam);
    if (afterSeq !== null && Number.isInteger(afterSeq) && afterSeq >= 0) {
      let cursor = afterSeq;
      for (;;) {
        const batch = this.log().after(cursor);
        for (const envelope of batch) trySend(server, JSON.stringify(envelope));
        if (batch.length === 0) break;
        cursor = batch[batch.length - 1]!.seq;
      }
    } else {
      this.reply(server, { type: "history", payload: { messages: this.log().newestWithin(HISTORY_FRAME_BYTES) } });
    }
    if (this.state.status === "ended") server.close(CLOSE.ended, "session ended");
    return new Response(null, { status: 101, webSocket: client });
  }

  private async acceptRunner(request: Request): Promise<Response> {
    const state = this.state;
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    if (!state || !token || !state.runnerTokenHash || !sameDigest(await hashToken(token), state.runnerTokenHash)) {
      return Response.json({ error: "unauthorized", message: "invalid runner token" }, { status: 401 });
    }
    if (state.status === "ended") return Response.json({ error: "session_ended", message: "the session has ended" }, { status: 410 });
    // One runner at a time: a reconnecting runner replaces a socket that has not noticed it died.
    for (const old of this.ctx.getWebSockets("runner")) safeClose(old, CLOSE.reset, "replaced by a newer runner connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, ["runner"]);
    server.serializeAttachment({ kind: "runner", instance: null } satisfies SocketAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  // ----------------------------------------------------------------------------------------
  // Hibernation handlers

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    if (!attachment) return;
    if (attachment.kind === "runner") return this.onRunnerMessage(ws, attachment, message);
    return this.onClientMessage(ws, attachment, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005 (no status) and 1006 (abnormal) may not be sent back; answer with a normal close.
    safeClose(ws, code === 1005 || code === 1006 ? 1000 : code, "closed");
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
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

  private async onClientMessage(ws: WebSocket, client: Extract<SocketAttachment, { kind: "client" }>, message: string | ArrayBuffer): Promise<void> {
    // A socket lives no longer than the token that opened it; the client reconnects with a fresh one.
    if (client.expiresAt !== null && Date.now() > client.expiresAt) return safeClose(ws, CLOSE.auth, "token expired");
    if (!withinFrameRate(ws, Date.now())) {
      return this.replyError(ws, "rate_limited", `at most ${CLIENT_FRAMES_PER_SECOND} frames per second per connection`);
    }
    const size = typeof message === "string" ? message.length : message.byteLength;
    if (size > MAX_CLIENT_FRAME_BYTES) return this.replyError(ws, "message_too_large", `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
    const text = clientFrameText(message);
    if (text === null) return this.replyError(ws, "invalid_message", "frame is not valid UTF-8 (send U+FFFD escaped as \\ufffd)");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.replyError(ws, "invalid_message", "frame is not valid JSON");
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      return this.replyError(ws, "invalid_message", typeof type === "string" ? `invalid '${type}' frame: ${parsed.error.issues[0]?.message ?? "bad payload"}` : "frame needs a known 'type'");
    }
    const frame = parsed.data;
    if (frame.type === "heartbeat") return;
    const state = this.state;
    if (!state) return this.replyError(ws, "session_not_found", "session not found");
    if (client.readOnly) return this.replyError(ws, "invalid_message", "this connection is read-only");
    if (state.status === "ended") return this.replyError(ws, "session_not_running", "the session has ended");

    switch (frame.type) {
      case "prompt": {
        const now = Date.now();
        state.promptTimes = state.promptTimes.filter((t) => t > now - 60_000);
        if (state.promptTimes.length >= PROMPTS_PER_MINUTE) {
          const retryIn = Math.ceil((state.promptTimes[0]! + 60_000 - now) / 1000);
          return this.replyError(ws, "rate_limited", `at most ${PROMPTS_PER_MINUTE} prompts per minute per session; retry in ${retryIn} s`);
        }
        state.promptTimes.push(now);
        this.acceptPrompt(frame.payload.text);
        return this.pump();
      }
      case "interrupt":
        if (state.inflight) this.sendRunner({ type: "interrupt" });
        return;
      case "tool_approval_response":
        return this.answerApproval(ws, frame.payload);
      case "ask_user_question_response":
        return this.answerQuestion(ws, frame.payload);
      case "upload_request":
      case "upload_complete":
      case "download_request":
        if (frame.type !== "upload_request") this.hibernation.wake();
        // Not awaited: a transfer waits for the runner, and this socket's next frames must not.
        void this.files.onClientFrame(ws, frame).catch((error) => {
          console.error(`session ${state.init.id}: ${frame.type} failed:`, error instanceof Error ? error.message : error);
          this.reply(ws, { type: "error", payload: { code: "file_transfer_failed", message: "the file request failed; try again", request_id: frame.payload.request_id } });
        });
        return;
    }
  }

  /** Stores a prompt as a `user` event and queues it for the agent. */
  private acceptPrompt(text: string): void {
    const state = this.state!;
    this.emit({ type: "user", payload: { content: text } });
    const busy = state.inflight !== null || state.queue.length > 0 || !this.runnerSocket();
    state.queue.push({ id: newId(), text });
    this.commit();
    if (busy && state.status !== "starting") {
      this.emit({ type: "system", payload: { subtype: "message_queued", message: "Message queued: it runs when the agent is free.", queue_length: state.queue.length } });
    }
  }

  /** Sends the next queued prompt when the agent is free. */
  private pump(): void {
    const state = this.state;
    if (!state || state.status === "ended" || state.inflight || state.queue.length === 0 || state.pending.length > 0) return;
    if (this.hibernation.holdsPrompts()) return; // asleep (waking starts here) or archiving/restoring
    const runner = this.runnerSocket();
    if (!runner || (runner.deserializeAttachment() as SocketAttachment).kind !== "runner") return;
    if ((runner.deserializeAttachment() as Extract<SocketAttachment, { kind: "runner" }>).instance === null) return; // not said hello yet
    const next = state.queue.shift()!;
    state.inflight = next;
    state.inflightStarted = false;
    this.commit();
    this.sendRunner({ type: "prompt", prompt_id: next.id, text: next.text });
    this.setUi({ uiState: "Running" });
  }

  private answerApproval(ws: WebSocket, answer: Extract<ClientFrame, { type: "tool_approval_response" }>["payload"]): void {
    const state = this.state!;
    const pending = state.pending.find((p) => p.kind === "approval" && p.answerId === answer.tool_use_id);
    if (!pending) return this.replyError(ws, "invalid_message", `no pending approval for tool_use_id ${answer.tool_use_id}`);
    if (answer.approval_pattern !== undefined && !isPermissionPattern(answer.approval_pattern)) {
      return this.replyError(ws, "invalid_message", `approval_pattern '${answer.approval_pattern}' is not a permission pattern`);
    }
    if (answer.approved && answer.approval_scope === "session") {
      // Exactly what the request showed (`session_patterns`); none when the call cannot be covered: approved once only.
      const patterns = answer.approval_pattern !== undefined ? [answer.approval_pattern] : (pending.sessionPatterns ?? sessionPatterns({ toolName: pending.toolName, input: pending.input }));
      for (const pattern of patterns) if (!state.sessionAllowedTools.includes(pattern)) state.sessionAllowedTools.push(pattern);
    }
    this.resolvePending(pending, answer.approved
      ? { behavior: "allow", updated_input: answer.updated_input ?? pending.input }
      : { behavior: "deny", message: answer.message ?? "The user denied this tool call." });
  }

  private answerQuestion(ws: WebSocket, answer: Extract<ClientFrame, { type: "ask_user_question_response" }>["payload"]): void {
    const pending = this.state!.pending.find((p) => p.kind === "question" && p.answerId === answer.question_id);
    if (!pending) return this.replyError(ws, "invalid_message", `no pending question ${answer.question_id}`);
    // Claude Code's AskUserQuestion takes the answers as part of its (updated) input.
    this.resolvePending(pending, { behavior: "allow", updated_input: { ...pending.input, answers: answersByQuestionText(questionsOf(pending.input), answer.answers) } });
  }

  private resolvePending(pending: PendingRequest, decision: { behavior: "allow" | "deny"; updated_input?: Record<string, unknown>; message?: string }): void {
    const state = this.state!;
    state.pending = state.pending.filter((p) => p !== pending);
    this.commit();
    this.sendRunner({ type: "permission_response", request_id: pending.requestId, ...decision });
    this.setUi({ needsAttention: state.pending.length > 0, uiState: state.inflight ? "Running" : "Waiting" });
  }

  // ----------------------------------------------------------------------------------------
  // Runner frames

  private async onRunnerMessage(ws: WebSocket, runner: Extract<SocketAttachment, { kind: "runner" }>, message: string | ArrayBuffer): Promise<void> {
    const state = this.state;
    if (!state) return;
    let frame: RunnerToPlatform;
    try {
      frame = RunnerToPlatform.parse(JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)));
    } catch {
      console.warn(`session ${state.init.id}: dropped an invalid runner frame`);
      return;
    }
    state.lastHeartbeatAt = Date.now();
    switch (frame.type) {
      case "hello": {
        const instance = frame.runner_instance ?? "unknown";
        if (instance !== state.runnerInstance) {
          // A new runner process numbers its events from 1 again.
          state.runnerInstance = instance;
          state.lastRseq = 0;
          if (state.inflight) {
            state.queue.unshift(state.inflight);
            state.inflight = null;
          }
        }
        ws.serializeAttachment({ kind: "runner", instance } satisfies SocketAttachment);
        state.runnerCheckAt = null;
        state.startedAt ??= new Date().toISOString();
        this.commit();
        // Waking from hibernation: the archive is restored first, `configure` follows its result.
        if (await this.hibernation.onHello(ws)) return;
        return this.configureRunner(ws);
      }
      case "event":
      case "events": {
        // Store every new event of the frame in this one synchronous stretch (one durable
        // commit), acknowledge once, then apply the limits a finished turn may have reached.
        const items = frame.type === "event" ? [frame] : frame.items;
        const results: string[] = [];
        for (const item of items) {
          if (item.rseq <= state.lastRseq) continue;
          state.lastRseq = item.rseq;
          if (item.event.type === "result") {
            state.usage.turns += item.event.payload.num_turns;
            state.turnsFinished += 1;
            results.push(item.event.payload.subtype);
          }
          this.emit(item.event);
        }
        if (results.length > 0) this.commit();
        else this.store.saveCursor(state);
        this.sendTo(ws, { type: "ack", rseq: state.lastRseq });
        for (const subtype of results) await this.enforceTurnLimits(subtype);
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
        if (frame.state === "idle") {
          // A runner reports its state when it (re)connects; an idle sent before it picked up
          // the prompt we just delivered says nothing about that prompt.
          if (state.inflight && !state.inflightStarted) return;
          state.inflight = null;
          this.commit();
          if (state.init.settings.one_shot && state.turnsFinished > 0 && state.queue.length === 0) {
            await this.end("completed", "one_shot: the task is done");
            return;
          }
          this.setUi({ uiState: state.queue.length ? "Running" : "Waiting" });
          this.pump();
          await this.scheduleAlarm(); // the idle (hibernation) clock starts now
        } else {
          if (state.inflight && !state.inflightStarted) {
            state.inflightStarted = true;
            this.commit();
          }
          this.setUi({ uiState: "Running" });
        }
        return;
      case "permission_request":
        return this.onPermissionRequest(frame);
      case "permission_cancelled":
        state.pending = state.pending.filter((p) => p.requestId !== frame.request_id);
        this.commit();
        this.setUi({ needsAttention: state.pending.length > 0 });
        return;
      case "file_result":
        this.files.onRunnerResult(frame);
        return;
      case "archive_result":
        return this.hibernation.onResult(ws, frame);
      case "agent_exited":
        if (frame.error) {
          // Claude Code could not run at all (e.g. it failed to start): nothing will work.
          state.errorMessage = frame.error;
          this.commit();
          await this.end("failed", `the agent could not run: ${frame.error}`);
          return;
        }
        this.emit({ type: "system", payload: { subtype: "agent_exited", message: `The agent process exited (${frame.signal ?? `code ${frame.code}`}); it restarts with the conversation on the next prompt.` } });
        if (state.inflight) {
          state.inflight = null;
          this.commit();
          this.setUi({ uiState: "Waiting" });
        }
        return;
    }
  }

  /** Answers a runner's hello: settings, acknowledgement, the prompt it must redo, the next one. */
  private async configureRunner(ws: WebSocket): Promise<void> {
    const state = this.state!;
    if (state.status === "ended") return;
    this.sendTo(ws, { type: "configure", settings: await this.runnerSettings() });
    this.sendTo(ws, { type: "ack", rseq: state.lastRseq });
    if (state.inflight) this.sendTo(ws, { type: "prompt", prompt_id: state.inflight.id, text: state.inflight.text });
    this.setUi({ status: "running", uiState: state.inflight || state.queue.length ? "Running" : "Waiting" });
    this.pump();
    await this.scheduleAlarm();
  }

  /** Decides a tool call by the session's lists and mode, or asks the clients. */
  private onPermissionRequest(frame: Extract<RunnerToPlatform, { type: "permission_request" }>): void {
    const state = this.state!;
    // The runner re-sends unanswered requests after a reconnect: one pending entry per request.
    if (state.pending.some((p) => p.requestId === frame.request_id)) return;
    const settings = state.init.settings;
    const call = { toolName: frame.tool_name, input: frame.input, ...(frame.resolved_paths ? { resolvedPaths: frame.resolved_paths } : {}) };
    const verdict = decideToolUse(call, {
      allowed: [...settings.allowed_tools, ...state.sessionAllowedTools],
      denied: settings.denied_tools,
      mode: settings.permission_mode,
      ...(frame.workspace_dir !== undefined ? { workspace: frame.workspace_dir } : {}),
    });
    if (verdict.decision === "allow") return this.sendRunner({ type: "permission_response", request_id: frame.request_id, behavior: "allow", updated_input: frame.input });
    if (verdict.decision === "deny") return this.sendRunner({ type: "permission_response", request_id: frame.request_id, behavior: "deny", message: verdict.reason });

    const isQuestion = frame.tool_name === "AskUserQuestion";
    const pending: PendingRequest = {
      requestId: frame.request_id,
      kind: isQuestion ? "question" : "approval",
      answerId: isQuestion ? `q_${frame.request_id}` : (frame.tool_use_id ?? frame.request_id),
      toolName: frame.tool_name,
      input: frame.input,
      askedAt: Date.now(),
      ...(isQuestion ? {} : { sessionPatterns: sessionPatterns(call, frame.workspace_dir) }),
    };
    state.pending.push(pending);
    this.commit();
    if (isQuestion) {
      const questions = Array.isArray(frame.input.questions) ? frame.input.questions : [];
      this.emit({ type: "ask_user_question", payload: { question_id: pending.answerId, questions: questions as never } });
    } else {
      this.emit({ type: "tool_approval_request", payload: { tool_use_id: pending.answerId, tool_name: frame.tool_name, tool_input: frame.input, session_patterns: pending.sessionPatterns ?? [] } });
    }
    this.setUi({ needsAttention: true, uiState: "Waiting" });
    void this.scheduleAlarm();
  }

  /** Ends the session when a finished turn used up `max_turns` or the budget (API.md §4). */
  private async enforceTurnLimits(subtype: string): Promise<void> {
    const state = this.state!;
    const { max_turns: maxTurns } = state.init.settings;
    if (subtype === "error_max_budget_usd") return this.end("completed", "max_budget_usd exceeded");
    if (subtype === "error_max_turns" || (maxTurns !== null && state.usage.turns >= maxTurns)) {
      return this.end("completed", `max_turns reached (${state.usage.turns} of ${maxTurns ?? "?"})`);
    }
  }

  /** Whether the runner process still lives; if not, the session's job is over. */
  private async checkRunnerExit(): Promise<void> {
    const state = this.state!;
    state.runnerCheckAt = null;
    this.commit();
    if (this.runnerSocket()) return;
    const sandbox = await sandboxFor(this.env, state.init.id).describe().catch(() => null);
    if (sandbox && !sandbox.running) {
      state.exitCode = sandbox.exitCode;
      await this.end("job_completed", `the runner exited${sandbox.exitCode === null ? "" : ` with code ${sandbox.exitCode}`}`);
    }
  }

  /**
   * The settings the runner starts Claude Code with; the session's sealed secrets are opened and
   * org secret references in the environment resolved here, at the last moment, never stored.
   */
  private async runnerSettings(): Promise<RunnerSettings> {
    const { orgId } = this.state!.init;
    const ring = await keyringFrom(this.env);
    const settings = await openSessionSettings(ring, this.state!.init.id, this.state!.init);
    let environment = settings.environment;
    if (orgId) {
      const { resolved, missing } = await resolveSecretReferences(this.env.DB, ring, orgId, environment);
      environment = resolved;
      if (missing.length) this.emit({ type: "system", payload: { subtype: "missing_secrets", message: `Org secrets not found: ${missing.join(", ")}; those variables are not set.` } });
    }
    return runnerSettingsFor({ ...this.state!.init, settings }, environment, this.state!.agentSessionId);
  }

  // ----------------------------------------------------------------------------------------
  // Sandbox and lifecycle

  /** Mints the sandbox's tokens and starts the runner. */
  private async startSandbox(): Promise<void> {
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
  private async end(reason: EndReason, detail: string | null): Promise<void> {
    const state = this.state;
    if (!state || state.status === "ended") return;
    state.status = "ended";
    state.uiState = "Ended";
    state.needsAttention = false;
    state.terminatedAt = new Date().toISOString();
    state.endReason = reason;
    state.endDetail = detail;
    state.queue = [];
    state.inflight = null;
    state.pending = [];
    state.dormant = false; // the archive stays until the record is purged
    state.hibernation = null;
    this.commit();
    this.emit({ type: "session_status", payload: this.statusPayload() });
    this.emit({ type: "session_end", payload: { reason, detail } });
    for (const ws of this.ctx.getWebSockets("client")) safeClose(ws, CLOSE.ended, `session ended: ${reason}`);
    for (const ws of this.ctx.getWebSockets("runner")) {
      this.sendTo(ws, { type: "shutdown" });
      safeClose(ws, CLOSE.ended, "session ended");
    }
    await this.scheduleAlarm();
    const quota = this.env.USER_QUOTA.get(this.env.USER_QUOTA.idFromName(state.init.userId));
    await Promise.allSettled([
      sandboxFor(this.env, state.init.id).stop(),
      quota.releaseSessionSlot(state.init.id),
      this.syncIndex(),
    ]);
  }

  // ----------------------------------------------------------------------------------------
  // Timers: one alarm, always at the earliest due deadline

  /** Carries out a deadline that has passed. */
  private async fire(deadline: Deadline): Promise<void> {
    const timers = sessionTimers(this.env);
    switch (deadline.kind) {
      case "purge":
        return this.purge();
      case "max_duration":
        return this.end("max_duration_exceeded", "the session reached its maximum duration");
      case "runner_check":
        return this.checkRunnerExit();
      case "startup_timeout":
        return this.end("startup_timeout", `the sandbox did not connect within ${timers.startupTimeout} s`);
      case "heartbeat_stale":
        return this.end("heartbeat_stale", `no heartbeat from the runner for ${timers.heartbeatStale} s`);
      case "approval_timeout":
        return this.resolvePending(deadline.pending, { behavior: "deny", message: `No answer within ${timers.approvalTimeout} s; denied.` });
      case "idle_hibernate":
        return this.hibernation.begin();
      case "hibernation_timeout":
        return this.hibernation.onTimeout();
    }
  }

  private deadlines(): Deadline[] {
    return this.state ? deadlinesOf(this.state, sessionTimers(this.env)) : [];
  }

  private async scheduleAlarm(): Promise<void> {
    const next = Math.min(...this.deadlines().map((d) => d.at));
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
    else await this.ctx.storage.deleteAlarm();
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
    if (id) await this.env.DB.prepare("DELETE FROM sessions WHERE id = ?").bind(id).run();
  }

  // ----------------------------------------------------------------------------------------
  // Events and state plumbing

  private log(): EventLog {
    this.logCache ??= new EventLog(this.ctx.storage.sql, this.state?.init.id ?? "");
    return this.logCache;
  }

  private commit(): void {
    if (this.state) this.store.save(this.state);
  }

  /** Stores an event, then broadcasts it to every client. */
  private emit(event: StoredEventBody): void {
    const envelope = this.log().append(event);
    if (this.state) this.state.lastActivityAt = Date.now(); // saved with the next commit
    const frame = JSON.stringify(envelope);
    for (const ws of this.ctx.getWebSockets("client")) trySend(ws, frame);
  }

  private statusPayload() {
    const s = this.state!;
    return { status: s.status, ui_state: s.uiState, needs_attention: s.needsAttention, dormant: s.dormant };
  }

  /** Applies UI-visible changes; emits `session_status` and updates the index only when something changed. */
  private setUi(change: { status?: "running"; uiState?: SessionState["uiState"]; needsAttention?: boolean }): void {
    const state = this.state!;
    if (state.status === "ended") return;
    const before = JSON.stringify(this.statusPayload());
    if (change.status) state.status = change.status;
    if (change.uiState) state.uiState = change.uiState;
    if (change.needsAttention !== undefined) state.needsAttention = change.needsAttention;
    if (state.needsAttention) state.uiState = "Waiting";
    const after = this.statusPayload();
    if (JSON.stringify(after) === before) return;
    this.commit();
    this.emit({ type: "session_status", payload: after });
    this.ctx.waitUntil(this.syncIndex());
  }

  /** Mirrors the listing fields into D1, where GET /v1/sessions reads them. */
  private async syncIndex(): Promise<void> {
    const s = this.state;
    if (!s) return;
    await this.env.DB.prepare(
      `UPDATE sessions SET status = ?, ui_state = ?, needs_attention = ?, dormant = ?, terminated_at = ?, end_reason = ?,
         started_at = ?, input_tokens = ?, output_tokens = ?, cost_usd = ? WHERE id = ?`,
    )
      .bind(s.status, s.uiState, s.needsAttention ? 1 : 0, s.dormant ? 1 : 0, s.terminatedAt, s.endReason, s.startedAt, s.usage.input_tokens, s.usage.output_tokens, s.usage.cost_usd, s.init.id)
      .run();
  }

  private runnerSocket(): WebSocket | null {
    return this.ctx.getWebSockets("runner").find((ws) => ws.readyState === WebSocket.OPEN) ?? null;
  }

  private sendRunner(frame: PlatformToRunner): void {
    const runner = this.runnerSocket();
    if (runner) this.sendTo(runner, frame);
  }

  /** Sends a runner-channel frame. */
  private sendTo(ws: WebSocket, frame: PlatformToRunner): void {
    trySend(ws, JSON.stringify(frame));
  }

  /** Sends a reply meant for one client only: not stored, so its `seq` is null. */
  private reply(ws: WebSocket, event: ServerEventBody): void {
    trySend(ws, JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), session_id: this.state?.init.id ?? "", seq: null, payload: event.payload }));
  }

  private replyError(ws: WebSocket, code: WsErrorCode, message: string): void {
    this.reply(ws, { type: "error", payload: { code, message } });
  }
}

/** Sends on a socket that may be closing; a client that misses a frame resumes from its last seq. */
function trySend(ws: WebSocket, data: string): void {
  try {
    ws.send(data);
  } catch {
    // closed meanwhile
  }
}

/** Closes a socket, ignoring one that is already closed. */
function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
