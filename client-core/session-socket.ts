/**
 * A session's WebSocket that survives network trouble, shared by the SDK (and so the CLI) and
 * the web UI. It resumes with `?after_seq=<last seq>` after an unexpected close, so the caller
 * sees every stored event exactly once, in order, however often the connection drops:
 *
 * - the first connection comes without `after_seq` and gets a `history` frame (unpacked into its
 *   events); every later one asks for what came after the last delivered seq;
 * - a seq at or below the last one is a duplicate (dropped); a seq beyond the next one is a gap:
 *   the connection is dropped and reopened from the last seq, which the server fills exactly;
 * - a close with a final code (auth, wrong user, not found, ended: close-codes.ts) ends the
 *   socket; any other close reconnects with backoff; a connection that never opened asks the
 *   REST API why first (`probe`), since a refused upgrade looks like any network failure;
 * - frames sent while disconnected wait in an outbox; heartbeats keep idle connections alive.
 *
 * Frames are decoded by a codec: by default plain JSON; the SDK passes one that validates each
 * frame with the wire schemas (zod stays out of this folder, which ships in the web UI).
 */
import { CLOSE, FINAL_CLOSE_CODES } from "./close-codes.ts";
import { AiSessionsError } from "./errors.ts";
import { backoffDelay, type RetryOptions } from "./retry.ts";
import { finalVerdict } from "./session-probe.ts";
import { SeqTracker } from "./seq-tracker.ts";
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_RECONNECT,
  MISSING_CLOSE_GRACE_MS,
  WS_OPEN,
  jsonCodec,
  type Connection,
  type CloseInfo,
  type EventContext,
  type SessionSocketOptions,
  type SocketCodec,
  type SocketListener,
  type SocketState,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket-types.ts";
import type { ClientFrameLike, ProtocolFrame, WireFrame } from "./wire.ts";

export * from "./socket-types.ts";

/** A live, self-healing connection to one session. */
export class SessionSocket<F extends WireFrame = WireFrame, C extends ClientFrameLike = ClientFrameLike> {
  readonly sessionId: string;
  /** Resolves when the first connection opens; rejects if the socket gives up before that. */
  readonly opened: Promise<void>;
  /** Resolves once the socket is closed for good (by {@link close}, the session's end or a final error). */
  readonly closed: Promise<CloseInfo>;
  /** Diagnostics: connections opened, duplicate events dropped, gaps that forced a resume. */
  readonly stats = { opens: 0, duplicatesDropped: 0, gaps: 0 };

  readonly #options: SessionSocketOptions<F>;
  readonly #listener: SocketListener<F>;
  readonly #codec: SocketCodec<F>;
  readonly #reconnect: Required<RetryOptions> | null;
  readonly #seq: SeqTracker;
  readonly #outbox: string[] = [];
  readonly #unwatchNetwork: () => void;
  #state: SocketState = "connecting";
  #connection: Connection | null = null;
  #failures = 0;
  #everOpened = false;
  #userClosed = false;
  #gapResumedAt: number | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #resolveOpened!: () => void;
  #rejectOpened!: (error: unknown) => void;
  #resolveClosed!: (info: CloseInfo) => void;

  constructor(options: SessionSocketOptions<F>) {
    this.sessionId = options.sessionId;
    this.#options = options;
    this.#listener = options.listener ?? {};
    this.#codec = options.codec ?? (jsonCodec as unknown as SocketCodec<F>);
    this.#reconnect = options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.#seq = new SeqTracker(options.afterSeq ?? null);
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    // Callers that only listen never await `opened`; its rejection must not crash them.
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#unwatchNetwork = options.network?.watch((online) => (online ? this.#onOnline() : this.#onOffline())) ?? (() => undefined);
    void this.#connect();
  }

  /** Current connection state. */
  get state(): SocketState {
    return this.#state;
  }

  /** The highest seq delivered so far (where a resume would start), or null. */
  get lastSeq(): number | null {
    return this.#seq.last;
  }

  /** True when a frame sent now goes out at once (otherwise it waits in the outbox). */
  get isOpen(): boolean {
    return this.#state === "open" && this.#connection?.ws.readyState === WS_OPEN;
  }

  /** Sends a prompt (the server queues it while the agent works). */
  prompt(text: string): void {
    this.#sendProtocol({ type: "prompt", payload: { text } });
  }

  /** Interrupts the running turn. */
  interrupt(): void {
    this.#sendProtocol({ type: "interrupt" });
  }

  /** Approves a pending tool call, once or (scope `session`) for the rest of the session. */
  approve(toolUseId: string, options: { scope?: "once" | "session"; pattern?: string; updatedInput?: Record<string, unknown> } = {}): void {
    this.#sendProtocol({
      type: "tool_approval_response",
      payload: {
        tool_use_id: toolUseId,
        approved: true,
        approval_scope: options.scope ?? "once",
        ...(options.pattern === undefined ? {} : { approval_pattern: options.pattern }),
        ...(options.updatedInput === undefined ? {} : { updated_input: options.updatedInput }),
      },
    });
  }

  /** Denies a pending tool call; `message` tells the agent why. */
  deny(toolUseId: string, message?: string): void {
    this.#sendProtocol({
      type: "tool_approval_response",
      payload: { tool_use_id: toolUseId, approved: false, ...(message === undefined ? {} : { message }) },
    });
  }

  /** Answers an `ask_user_question`: `{ <question text>: <chosen label or free text> }`. */
  answer(questionId: string, answers: Record<string, string>): void {
    this.#sendProtocol({ type: "ask_user_question_response", payload: { question_id: questionId, answers } });
  }

  /** Sends any client frame; while reconnecting it is queued and sent once the connection is back. */
  send(frame: C): void {
    this.#sendProtocol(frame);
  }

  /** Closes the socket for good; nothing is delivered after this call. */
  close(): void {
    if (this.#state === "closed") return;
    this.#userClosed = true;
    this.#release();
    this.#finish({ code: CLOSE.normal, reason: "client closed", willReconnect: false });
  }

  #sendProtocol(frame: ProtocolFrame | C): void {
    const text = this.#codec.encode(frame);
    if (this.#state === "closed") throw new AiSessionsError(0, "not_connected", "the session socket is closed");
    if (this.isOpen) this.#connection!.ws.send(text);
    else this.#outbox.push(text);
  }

  #setState(state: SocketState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#call(() => this.#listener.state?.(state));
  }

  async #connect(): Promise<void> {
    this.#retryTimer = null;
    if (this.#userClosed || this.#state === "closed") return;
    if (this.#options.network && !this.#options.network.online()) return this.#setState("offline");
    const afterSeq = this.#seq.last;
    let url: string;
    try {
      url = await this.#options.url(afterSeq);
    } catch (error) {
      // The URL may need the network (a ticket): a network failure or busy server retries; a refusal is final.
      const status = error instanceof AiSessionsError ? error.status : 0;
      if ((status === 0 || status === 429 || status >= 500) && this.#reconnect && this.#failures < this.#reconnect.retries)
        return this.#scheduleReconnect();
      const refused = new AiSessionsError(status, "unauthorized", `could not get a socket URL: ${String(error)}`, { cause: error });
      return this.#finish({ code: CLOSE.auth, reason: "no token", willReconnect: false, error: refused });
    }
    if (this.#userClosed || this.#connection) return;
    const Ctor = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    let ws: WebSocketLike;
    try {
      if (!Ctor) throw new Error("no WebSocket implementation: pass options.WebSocket");
      ws = new Ctor(url);
    } catch (error) {
      return this.#finish({
        code: 1006,
        reason: "could not open",
        willReconnect: false,
        error: new AiSessionsError(0, "not_connected", String(error), { cause: error }),
      });
    }
    const connection: Connection = { ws, afterSeq, opened: false, discarding: false };
    this.#connection = connection;
    ws.addEventListener("open", () => connection === this.#connection && this.#onOpen(connection));
    ws.addEventListener("message", (event: { data: unknown }) => {
      if (connection === this.#connection && !connection.discarding) this.#onMessage(connection, event.data);
    });
    ws.addEventListener("close", (event: { code?: number; reason?: string }) => {
      void this.#onClose(connection, event.code ?? 1006, event.reason ?? "");
    });
    // Listening for errors keeps emitter-based sockets (`ws`) from throwing. A close event should
    // follow every error, but Node 22's WebSocket omits it when the upgrade is refused, so a
    // missing close is supplied here.
    ws.addEventListener("error", () => {
      setTimeout(() => {
        if (connection !== this.#connection) return;
        try {
          ws.close();
        } catch {
          // already failed; nothing to release
        }
        void this.#onClose(connection, 1006, "connection failed");
      }, MISSING_CLOSE_GRACE_MS);
    });
  }

  #onOpen(connection: Connection): void {
    connection.opened = true;
    this.#failures = 0;
    this.stats.opens++;
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#setState("open");
    this.#heartbeat = setInterval(() => {
      if (connection.ws.readyState === WS_OPEN) connection.ws.send(this.#codec.encode({ type: "heartbeat" }));
    }, this.#options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    for (const text of this.#outbox.splice(0)) connection.ws.send(text);
    this.#call(() => this.#listener.open?.({ reconnected, afterSeq: connection.afterSeq }));
    this.#resolveOpened();
  }

  #onMessage(connection: Connection, data: unknown): void {
    const text = typeof data === "string" ? data : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : null;
    if (text === null) return;
    const incoming = this.#codec.decode(text);
    if (incoming.kind === "invalid") {
      if (incoming.seq !== null) this.#seq.advance(incoming.seq);
      this.#call(() => this.#listener.invalidFrame?.(incoming.error, incoming.raw));
      return;
    }
    const frame = incoming.frame;
    if (frame.seq === null) {
      if (frame.type === "history") return this.#onHistory(frame);
      return this.#deliver(frame, false);
    }
    const verdict = this.#seq.check(frame.seq);
    if (verdict === "duplicate") {
      this.stats.duplicatesDropped++;
      return;
    }
    if (verdict === "gap" && this.#gapResumedAt !== this.#seq.last) {
      // Events went missing on this connection: drop it and resume from the last one delivered.
      // Done once per position, so a log that truly lacks a seq cannot cause a reconnect loop.
      this.stats.gaps++;
      this.#gapResumedAt = this.#seq.last;
      connection.discarding = true;
      connection.ws.close(CLOSE.gap, "missed events; resuming");
      return;
    }
    this.#seq.advance(frame.seq);
    this.#deliver(frame, false);
    if (frame.type === "session_end") this.#onSessionEnd();
  }

  #onHistory(frame: F): void {
    this.#deliver(frame, false);
    const messages = [...((frame.payload as { messages?: F[] } | null)?.messages ?? [])].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    let ended = false;
    for (const message of messages) {
      if (this.#state === "closed") return; // a listener closed the socket mid-replay
      if (message.seq === null) continue;
      ended ||= message.type === "session_end";
      // A history frame may start late in a long session: only repeats are dropped, never "gaps".
      if (this.#seq.check(message.seq) === "duplicate") {
        this.stats.duplicatesDropped++;
        continue;
      }
      this.#seq.advance(message.seq);
      if (this.#options.expandHistory !== false) this.#deliver(message, true);
    }
    if (ended) this.#onSessionEnd();
  }

  /**
   * `session_end` is the last event of a session and the server closes with 4100 right after it.
   * The socket finishes at once rather than waiting for that close to arrive: the connection of a
   * socket that never sent a frame ends 10–25 s after the closing handshake, when workerd evicts
   * the session's object (README, "The session WebSocket").
   */
  #onSessionEnd(): void {
    this.#release();
    this.#finish({ code: CLOSE.ended, reason: "session ended", willReconnect: false });
  }

  /** Lets go of the current connection: its later frames and close event are ignored. */
  #release(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    const connection = this.#connection;
    if (!connection) return;
    connection.discarding = true;
    this.#connection = null;
    try {
      connection.ws.close(CLOSE.normal, "client closed");
    } catch {
      // still connecting in an implementation that refuses to close then, or already closed
    }
  }

  #deliver(frame: F, replayed: boolean): void {
    const context: EventContext = { type: frame.type, seq: frame.seq, timestamp: frame.timestamp, sessionId: frame.session_id, replayed };
    this.#call(() => this.#listener.frame?.(frame, context));
  }

  async #onClose(connection: Connection, code: number, reason: string): Promise<void> {
    // Only the current connection's first close counts (a replaced or released one is ignored).
    if (connection !== this.#connection) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#connection = null;
    if (this.#userClosed) return this.#finish({ code, reason, willReconnect: false });
    if (FINAL_CLOSE_CODES.has(code)) return this.#finish({ ...finalVerdict(code, reason), willReconnect: false });
    if (!connection.opened && this.#options.probe) {
      const verdict = await this.#options.probe().catch(() => null);
      if (this.#userClosed || this.#state === "closed") return;
      if (verdict) return this.#finish({ ...verdict, willReconnect: false });
    }
    const policy = this.#reconnect;
    if (!policy || this.#failures >= policy.retries) {
      const error = policy
        ? new AiSessionsError(0, "network_error", `the connection closed (${code}) and ${this.#failures} reconnect attempts failed`)
        : undefined;
      return this.#finish({ code, reason, willReconnect: false, ...(error ? { error } : {}) });
    }
    // The state is settled before listeners hear of the close, so they read where it stands.
    const offline = this.#options.network !== undefined && !this.#options.network.online();
    this.#setState(offline ? "offline" : "reconnecting");
    this.#call(() => this.#listener.close?.({ code, reason, willReconnect: true }));
    if (!offline) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const policy = this.#reconnect ?? DEFAULT_RECONNECT;
    const delayMs = backoffDelay(this.#failures, policy);
    this.#failures++;
    this.#setState("reconnecting");
    this.#call(() => this.#listener.reconnecting?.({ attempt: this.#failures, delayMs, afterSeq: this.#seq.last }));
    this.#retryTimer = setTimeout(() => void this.#connect(), delayMs);
  }

  /** The network went away: the socket can no longer be trusted (browsers may keep a dead one for minutes). */
  #onOffline(): void {
    if (this.#state === "closed") return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#release();
    this.#setState("offline");
  }

  /** Back online: resume at once from the last seq. */
  #onOnline(): void {
    if (this.#state !== "offline" && this.#state !== "reconnecting") return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#failures = 0;
    this.#setState("reconnecting");
    void this.#connect();
  }

  #finish(info: CloseInfo): void {
    if (this.#state === "closed") return;
    this.#setState("closed");
    this.#unwatchNetwork();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#outbox.length = 0;
    this.#call(() => this.#listener.close?.(info));
    if (!this.#everOpened)
      this.#rejectOpened(
        info.error ??
          new AiSessionsError(0, "not_connected", `the connection closed (${info.code}${info.reason ? `: ${info.reason}` : ""})`),
      );
    this.#resolveClosed(info);
  }

  /** Runs a listener; a throwing one is reported without disturbing seq tracking or the others. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      setTimeout(() => {
        throw error;
      });
    }
  }
}
