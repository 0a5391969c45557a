// PlatformChannel: the runner's WebSocket to its session Durable Object. Reconnects with capped
// backoff whenever the socket drops (a DO can be evicted at any time), says hello again, and
// resends every event not yet acknowledged, so the DO ends up with each rseq exactly once.
import WebSocket from "ws";
import { AgentEventBody } from "../../schemas/events.ts";
import { MAX_EVENTS_PER_FRAME, PlatformToRunner, RunnerToPlatform } from "../../schemas/runner.ts";
import { EventOutbox, type EventFrame } from "./event-outbox.ts";
import type { Logger } from "./log.ts";

/** Frames sent outside the numbered event stream. */
export type ControlFrame = Exclude<RunnerToPlatform, { type: "event" | "events" | "hello" | "heartbeat" }>;
/** The `hello` frame. */
export type HelloFrame = Extract<RunnerToPlatform, { type: "hello" }>;

/** Options of a PlatformChannel. */
export type PlatformChannelOptions = {
  url: string;
  token: string;
  heartbeatIntervalMs: number;
  reconnectMaxMs: number;
  /** Builds the hello for each connection (it carries the newest agent session id). */
  hello(): HelloFrame;
  /** A validated frame from the DO (acks are handled here and not passed on). */
  onFrame(frame: PlatformToRunner): void;
  /** After hello and the resent events on every (re)connection: resend state the DO may have missed. */
  onConnected(): void;
  /** The platform closed the socket for good (session ended): stop instead of reconnecting. */
  onTerminated(code: number, reason: string): void;
  log: Logger;
};

// Close codes after which reconnecting is pointless (docs/api.md §5: 4100 session ended).
const TERMINAL_CLOSE_CODES = new Set([4100]);
const RECONNECT_BASE_MS = 250;
// Silent heartbeat intervals (no pong, no frame) before a socket is presumed dead (half-open TCP).
const SILENT_TICKS_LIMIT = 3;
/**
 * Longest that ready events wait for the acknowledgement of the frame before them (see
 * #flushEvents); past it they go anyway, so a frame the platform never acknowledges cannot hold
 * the stream back until the next reconnect.
 */
export const ACK_WAIT_MAX_MS = 1_000;

/** The runner side of the runner channel. */
export class PlatformChannel {
  readonly outbox = new EventOutbox();
  #opts: PlatformChannelOptions;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #closing = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #silentTicks = 0;
  /** Events numbered but not yet written to the current socket; flushed together (one frame, one DO write). */
  #unsent: EventFrame[] = [];
  #flushScheduled = false;
  /** The newest rseq written to the current socket (0: none yet). */
  #sentUpTo = 0;
  /** Sends the held events once ACK_WAIT_MAX_MS has passed without an acknowledgement. */
  #ackWaitTimer: NodeJS.Timeout | undefined;

  constructor(opts: PlatformChannelOptions) {
    this.#opts = opts;
  }

  /** True while a socket is open. */
  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** Opens the first connection. */
  start(): void {
    this.#connect();
  }

  /** Numbers an agent event and sends it now or after the next reconnect. Invalid events are dropped. */
  sendEvent(event: AgentEventBody): void {
    // Never number an event the DO would reject: it would be resent after every reconnect.
    const check = AgentEventBody.safeParse(event);
    if (!check.success) {
      this.#opts.log.error("dropping invalid event", { type: event.type, issues: check.error.issues.slice(0, 3) });
      return;
    }
    this.#unsent.push(this.outbox.push(event));
    // Events that become ready in the same turn of the event loop (one stdout chunk often holds
    // several) travel as one frame.
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flushEvents());
    }
  }

  /**
   * Writes every unsent event, batched; while a frame already written waits for its
   * acknowledgement, they wait for it too (up to ACK_WAIT_MAX_MS) and then go as one frame. The
   * session stores each frame in one commit, and a commit waits for the disk (or, deployed, for
   * the write's confirmation): when events come faster than commits, one frame per event made the
   * frames queue at the session one commit after another, and latency grew without bound under
   * load. When the acknowledgement comes before the next event, as it does unloaded, nothing waits.
   */
  #flushEvents(force = false): void {
    this.#flushScheduled = false;
    if (this.#unsent.length === 0) return;
    if (!force && this.#awaitingAck()) {
      this.#ackWaitTimer ??= setTimeout(() => {
        this.#ackWaitTimer = undefined;
        this.#flushEvents(true);
      }, ACK_WAIT_MAX_MS);
      return;
    }
    clearTimeout(this.#ackWaitTimer);
    this.#ackWaitTimer = undefined;
    const frames = this.#unsent;
    this.#unsent = [];
    this.#sendEvents(frames);
  }

  /** Whether an event written to the current socket is still unacknowledged. */
  #awaitingAck(): boolean {
    const oldest = this.outbox.unacked()[0];
    return oldest !== undefined && oldest.rseq <= this.#sentUpTo;
  }

  /** Sends events as `event` (one) or `events` frames of at most MAX_EVENTS_PER_FRAME. */
  #sendEvents(frames: readonly EventFrame[]): void {
    for (let i = 0; i < frames.length; i += MAX_EVENTS_PER_FRAME) {
      const chunk = frames.slice(i, i + MAX_EVENTS_PER_FRAME);
      if (this.#sendRaw(chunk.length === 1 ? chunk[0]! : { type: "events", items: chunk })) this.#sentUpTo = chunk.at(-1)!.rseq;
    }
  }

  /** Sends a non-event frame if connected; false when it could not be sent (the caller resyncs on reconnect). */
  send(frame: ControlFrame): boolean {
    const check = RunnerToPlatform.safeParse(frame);
    if (!check.success) {
      this.#opts.log.error("refusing to send invalid frame", { type: frame.type, issues: check.error.issues.slice(0, 3) });
      return false;
    }
    // Control frames never overtake events produced before them (a result precedes its idle).
    if (this.#unsent.length > 0) this.#flushEvents(true);
    return this.#sendRaw(frame);
  }

  /** Closes the socket for good. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#ackWaitTimer);
    this.#stopHeartbeat();
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1_000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, "runner shutting down");
    });
  }

  #sendRaw(frame: RunnerToPlatform): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  #connect(): void {
    if (this.#closing) return;
    const { log } = this.#opts;
    const ws = new WebSocket(this.#opts.url, {
      headers: { Authorization: `Bearer ${this.#opts.token}` },
      handshakeTimeout: 10_000,
      maxPayload: 16 * 1024 * 1024,
      // No permessage-deflate: `ws` compresses on the libuv thread pool, which put several
      // milliseconds between an event and its frame leaving (measured under `npm run bench`),
      // and cost the sandbox CPU for frames that are mostly small.
      perMessageDeflate: false,
    });
    this.#ws = ws;

    ws.on("open", () => {
      this.#attempt = 0;
      this.#silentTicks = 0;
      log.info("connected to platform", { unacked: this.outbox.unacked().length });
      this.#sendRaw(this.#opts.hello());
      // Everything unacknowledged goes again, including what was waiting for the next flush.
      this.#unsent = [];
      clearTimeout(this.#ackWaitTimer);
      this.#ackWaitTimer = undefined;
      this.#sentUpTo = 0;
      this.#sendEvents(this.outbox.unacked());
      this.#startHeartbeat(ws);
      this.#opts.onConnected();
    });
    ws.on("message", (data, isBinary) => {
      this.#silentTicks = 0;
      if (isBinary) return log.warn("ignoring binary frame from platform");
      this.#handleText(data.toString());
    });
    ws.on("pong", () => (this.#silentTicks = 0));
    // 'error' is always followed by 'close', where reconnecting happens.
    ws.on("error", (err) => log.warn("platform socket error", { error: err.message }));
    ws.on("close", (code, reasonBuf) => {
      if (this.#ws !== ws) return;
      this.#stopHeartbeat();
      const reason = reasonBuf.toString();
      if (this.#closing) return;
      if (TERMINAL_CLOSE_CODES.has(code)) {
        log.info("platform closed the channel for good", { code, reason });
        this.#opts.onTerminated(code, reason);
        return;
      }
      const delay = Math.round(Math.min(this.#opts.reconnectMaxMs, RECONNECT_BASE_MS * 2 ** this.#attempt++) * (0.5 + Math.random() / 2));
      log.info("platform socket closed; reconnecting", { code, reason, delay_ms: delay });
      this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
    });
  }

  #handleText(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#opts.log.warn("ignoring non-JSON frame from platform");
      return;
    }
    const parsed = PlatformToRunner.safeParse(json);
    if (!parsed.success) {
      const type = typeof json === "object" && json !== null ? (json as { type?: unknown }).type : undefined;
      this.#opts.log.warn("ignoring invalid frame from platform", { type, issues: parsed.error.issues.slice(0, 3) });
      return;
    }
    if (parsed.data.type === "ack") {
      this.outbox.ack(parsed.data.rseq);
      // Events held for this acknowledgement go now (#flushEvents).
      if (!this.#flushScheduled) this.#flushEvents();
      return;
    }
    this.#opts.onFrame(parsed.data);
  }

  #startHeartbeat(ws: WebSocket): void {
    this.#stopHeartbeat();
    this.#heartbeatTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (++this.#silentTicks > SILENT_TICKS_LIMIT) {
        this.#opts.log.warn("platform socket silent; dropping it");
        ws.terminate();
        return;
      }
      ws.ping();
      this.#sendRaw({ type: "heartbeat" });
    }, this.#opts.heartbeatIntervalMs);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }
}
