/**
 * A session's WebSocket that survives network trouble: it resumes with `?after_seq=<last seq>`
 * after an unexpected close, so the caller's handlers see every stored event exactly once, in
 * order, however often the connection drops.
 */
import type { ServerEnvelope } from "../../schemas/events.ts";
import { AiSessionsError } from "../errors.ts";
import { Transport, type ConnectionOptions } from "../http.ts";
import { SessionsApi } from "../resources/sessions.ts";
import { backoffDelay, type RetryOptions } from "../retry.ts";
import { encodeClientFrame, isKnownType, parseServerFrame, type ClientFrameInput, type UnknownFrame } from "./frames.ts";
import type { CloseInfo, EventContext, SessionHandlers } from "./handlers.ts";
import { SeqTracker } from "./seq-tracker.ts";

/** The part of the WebSocket API the client uses: browsers, Node 22's global and the `ws` package all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: any) => void): void;
}

/** A WebSocket class (default: the global one). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of {@link createSessionWebSocket}. */
export interface SessionSocketOptions extends ConnectionOptions {
  sessionId: string;
  handlers?: SessionHandlers;
  /** Start after this seq (no `history` frame then); default: receive a `history` frame first. */
  afterSeq?: number;
  /** Also dispatch the events inside `history` frames to the per-type handlers, with `replayed: true` (default true). */
  expandHistory?: boolean;
  /** Heartbeat interval (default 30 s). */
  heartbeatMs?: number;
  /** Reconnect policy (default: forever, 0.5 s doubling to 15 s), or false to never reconnect. */
  reconnect?: Partial<RetryOptions> | false;
  /** A WebSocket class, e.g. the `ws` package's (default: `globalThis.WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** Used to classify a refused upgrade via REST (default: the global fetch). */
  fetch?: typeof fetch;
}

/** Connection state. */
export type SocketState = "connecting" | "open" | "reconnecting" | "closed";

/** Close codes after which reconnecting cannot help: auth (4001), wrong user (4003), not found (4004), session ended (4100). */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4001, 4003, 4004, 4100]);

const DEFAULT_RECONNECT: Required<RetryOptions> = { retries: Number.POSITIVE_INFINITY, minDelayMs: 500, maxDelayMs: 15_000 };
const DEFAULT_HEARTBEAT_MS = 30_000;
const WS_OPEN = 1;
/** Close code the client uses when it drops a connection that skipped events, to resume cleanly. */
const GAP_CLOSE_CODE = 4000;
/** How long after an error a close event may still come before the client assumes it never will. */
const MISSING_CLOSE_GRACE_MS = 250;

/** The errors the final close codes stand for. */
const FINAL_ERRORS: Record<number, [number, string, string]> = {
  4001: [401, "unauthorized", "the token was refused"],
  4003: [403, "forbidden", "this session belongs to another user"],
  4004: [404, "not_found", "session not found"],
};

/** One connection attempt. */
interface Connection {
  ws: WebSocketLike;
  afterSeq: number | null;
  opened: boolean;
  /** Set after a gap: the rest of this connection's frames are ignored until it is replaced. */
  discarding: boolean;
}

/** A live, self-healing connection to one session. */
export class SessionSocket {
  readonly sessionId: string;
  /** Resolves when the first connection opens; rejects if the socket gives up before that. */
  readonly opened: Promise<void>;
  /** Resolves once the socket is closed for good (by {@link close}, the session's end or a final error). */
  readonly closed: Promise<CloseInfo>;

  readonly #options: SessionSocketOptions;
  readonly #handlers: SessionHandlers;
  readonly #transport: Transport;
  readonly #reconnect: Required<RetryOptions> | null;
  readonly #seq: SeqTracker;
  readonly #outbox: string[] = [];
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

  constructor(options: SessionSocketOptions) {
    this.sessionId = options.sessionId;
    this.#options = options;
    this.#handlers = options.handlers ?? {};
    this.#transport = new Transport({ baseUrl: options.baseUrl, token: options.token, retry: { retries: 0 }, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.#reconnect = options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.#seq = new SeqTracker(options.afterSeq ?? null);
    this.opened = new Promise((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    // Callers that only use handlers never await `opened`; its rejection must not crash them.
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
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

  /** Sends a prompt (the server queues it while the agent works). */
  prompt(text: string): void {
    this.send({ type: "prompt", payload: { text } });
  }

  /** Interrupts the running turn. */
  interrupt(): void {
    this.send({ type: "interrupt" });
  }

  /** Approves a pending tool call, once or (scope `session`) for the rest of the session. */
  approve(toolUseId: string, options: { scope?: "once" | "session"; pattern?: string; updatedInput?: Record<string, unknown> } = {}): void {
    this.send({
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
    this.send({ type: "tool_approval_response", payload: { tool_use_id: toolUseId, approved: false, ...(message === undefined ? {} : { message }) } });
  }

  /** Answers an `ask_user_question`: `{ <question text>: <chosen label or free text> }`. */
  answer(questionId: string, answers: Record<string, string>): void {
    this.send({ type: "ask_user_question_response", payload: { question_id: questionId, answers } });
  }

  /** Sends any client frame; while reconnecting it is queued and sent once the connection is back. */
  send(frame: ClientFrameInput): void {
    const text = encodeClientFrame(frame);
    if (this.#state === "closed") throw new AiSessionsError(0, "not_connected", "the session socket is closed");
    const ws = this.#connection?.ws;
    if (this.#state === "open" && ws && ws.readyState === WS_OPEN) ws.send(text);
    else this.#outbox.push(text);
  }

  /** Closes the socket for good; nothing is delivered after this call. */
  close(): void {
    if (this.#state === "closed") return;
    this.#userClosed = true;
    this.#release();
    this.#finish({ code: 1000, reason: "client closed", willReconnect: false });
  }

  async #connect(): Promise<void> {
    this.#retryTimer = null;
    if (this.#userClosed) return;
    const afterSeq = this.#seq.last;
    let url: string;
    try {
      url = socketUrl(this.#options.baseUrl, this.sessionId, await this.#transport.token(), afterSeq);
    } catch (error) {
      return this.#finish({ code: 4001, reason: "no token", willReconnect: false, error: new AiSessionsError(0, "unauthorized", `could not get a token: ${String(error)}`, { cause: error }) });
    }
    if (this.#userClosed) return;
    const Ctor = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    let ws: WebSocketLike;
    try {
      if (!Ctor) throw new Error("no WebSocket implementation: pass options.WebSocket");
      ws = new Ctor(url);
    } catch (error) {
      return this.#finish({ code: 1006, reason: "could not open", willReconnect: false, error: new AiSessionsError(0, "not_connected", String(error), { cause: error }) });
    }
    const connection: Connection = { ws, afterSeq, opened: false, discarding: false };
    this.#connection = connection;
    ws.addEventListener("open", () => connection === this.#connection && this.#onOpen(connection));
    ws.addEventListener("message", (event: { data: unknown }) => {
      if (connection === this.#connection && !connection.discarding) this.#onMessage(event.data);
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
    this.#state = "open";
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#heartbeat = setInterval(() => {
      if (connection.ws.readyState === WS_OPEN) connection.ws.send(JSON.stringify({ type: "heartbeat" }));
    }, this.#options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    for (const text of this.#outbox.splice(0)) connection.ws.send(text);
    this.#call(() => this.#handlers.open?.({ reconnected, afterSeq: connection.afterSeq }));
    this.#resolveOpened();
  }

  #onMessage(data: unknown): void {
    const text = typeof data === "string" ? data : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : null;
    if (text === null) return;
    const incoming = parseServerFrame(text);
    if (incoming.kind === "invalid") {
      if (incoming.seq !== null) this.#seq.advance(incoming.seq);
      this.#call(() => this.#handlers.invalidFrame?.(incoming.error, incoming.raw));
      return;
    }
    const frame = incoming.frame;
    if (frame.seq === null) {
      if (frame.type === "history" && incoming.kind === "event") return this.#onHistory(frame as Extract<ServerEnvelope, { type: "history" }>);
      return this.#dispatch(frame, false);
    }
    const verdict = this.#seq.check(frame.seq);
    if (verdict === "duplicate") return;
    if (verdict === "gap" && this.#gapResumedAt !== this.#seq.last) {
      // Events went missing on this connection: drop it and resume from the last one delivered.
      // Done once per position, so a log that truly lacks a seq cannot cause a reconnect loop.
      this.#gapResumedAt = this.#seq.last;
      this.#connection!.discarding = true;
      this.#connection!.ws.close(GAP_CLOSE_CODE, "missed events; resuming");
      return;
    }
    this.#seq.advance(frame.seq);
    this.#dispatch(frame, false);
    if (frame.type === "session_end") this.#onSessionEnd();
  }

  #onHistory(frame: Extract<ServerEnvelope, { type: "history" }>): void {
    this.#dispatch(frame, false);
    let ended = false;
    for (const message of frame.payload.messages) {
      if (this.#state === "closed") return; // a handler closed the socket mid-replay
      ended ||= message.type === "session_end";
      if (this.#seq.check(message.seq) === "duplicate") continue;
      this.#seq.advance(message.seq);
      if (this.#options.expandHistory !== false) this.#dispatch(message, true);
    }
    if (ended) this.#onSessionEnd();
  }

  /**
   * `session_end` is the last event of a session and the server closes with 4100 right after it.
   * The socket finishes at once rather than waiting for that close to arrive: its event can lag
   * by many seconds behind the closing handshake (observed with Node 22's WebSocket).
   */
  #onSessionEnd(): void {
    this.#release();
    this.#finish({ code: 4100, reason: "session ended", willReconnect: false });
  }

  /** Lets go of the current connection: its later frames and close event are ignored. */
  #release(): void {
    const connection = this.#connection;
    if (!connection) return;
    connection.discarding = true;
    this.#connection = null;
    try {
      connection.ws.close(1000, "client closed");
    } catch {
      // still connecting in an implementation that refuses to close then, or already closed
    }
  }

  #dispatch(frame: ServerEnvelope | UnknownFrame, replayed: boolean): void {
    const context: EventContext = { type: frame.type, seq: frame.seq, timestamp: frame.timestamp, sessionId: frame.session_id, replayed };
    const handler = (this.#handlers as Record<string, ((payload: unknown, context: EventContext) => void) | undefined>)[frame.type];
    if (handler && isKnownType(frame.type)) this.#call(() => handler(frame.payload, context));
    this.#call(() => this.#handlers.any?.(frame, context));
  }

  async #onClose(connection: Connection, code: number, reason: string): Promise<void> {
    // Only the current connection's first close counts (a replaced or already handled one is ignored).
    if (connection !== this.#connection) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#connection = null;
    if (this.#userClosed) return this.#finish({ code, reason, willReconnect: false });
    if (FINAL_CLOSE_CODES.has(code)) return this.#finish({ code, reason, willReconnect: false, ...finalError(code, reason) });
    if (!connection.opened) {
      // A refused upgrade reaches a WebSocket only as 1006; ask the REST API what is wrong.
      const verdict = await this.#probe();
      if (this.#userClosed) return this.#finish({ code, reason, willReconnect: false });
      if (verdict) return this.#finish({ ...verdict, willReconnect: false });
    }
    const policy = this.#reconnect;
    if (!policy || this.#failures >= policy.retries) {
      const error = policy ? new AiSessionsError(0, "network_error", `the connection closed (${code}) and ${this.#failures} reconnect attempts failed`) : undefined;
      return this.#finish({ code, reason, willReconnect: false, ...(error ? { error } : {}) });
    }
    const delayMs = backoffDelay(this.#failures, policy);
    this.#failures++;
    this.#state = "reconnecting";
    this.#call(() => this.#handlers.close?.({ code, reason, willReconnect: true }));
    this.#call(() => this.#handlers.reconnecting?.({ attempt: this.#failures, delayMs, afterSeq: this.#seq.last }));
    this.#retryTimer = setTimeout(() => void this.#connect(), delayMs);
  }

  /** Classifies a failed upgrade: a final close for auth/ownership/unknown/ended, null for a transient failure. */
  async #probe(): Promise<Omit<CloseInfo, "willReconnect"> | null> {
    try {
      const session = await new SessionsApi(this.#transport).get(this.sessionId);
      return session.status === "ended" ? { code: 4100, reason: "session ended" } : null;
    } catch (error) {
      if (!(error instanceof AiSessionsError)) return null;
      if (error.status === 401) return { code: 4001, reason: error.message, error };
      if (error.status === 403) return { code: 4003, reason: error.message, error };
      if (error.status === 404) return { code: 4004, reason: error.message, error };
      return null;
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#outbox.length = 0;
    this.#call(() => this.#handlers.close?.(info));
    if (!this.#everOpened) this.#rejectOpened(info.error ?? new AiSessionsError(0, "not_connected", `the connection closed (${info.code}${info.reason ? `: ${info.reason}` : ""})`));
    this.#resolveClosed(info);
  }

  /** Runs a caller's handler; a throwing handler is reported without disturbing seq tracking or other handlers. */
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

/** The WebSocket URL of a session, authenticated with `?token=` (browsers cannot set headers on upgrades). */
export function socketUrl(baseUrl: string, sessionId: string, token: string, afterSeq: number | null): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/v1/ws/sessions/${encodeURIComponent(sessionId)}`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("token", token);
  if (afterSeq !== null) url.searchParams.set("after_seq", String(afterSeq));
  return url.toString();
}

/** The error a final close code stands for (4100, a normal end, has none). */
function finalError(code: number, reason: string): { error?: AiSessionsError } {
  const known = FINAL_ERRORS[code];
  return known ? { error: new AiSessionsError(known[0], known[1], reason || known[2]) } : {};
}

/** Opens a session's WebSocket; see {@link SessionSocket}. */
export function createSessionWebSocket(options: SessionSocketOptions): SessionSocket {
  return new SessionSocket(options);
}
