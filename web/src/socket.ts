/**
 * One session's WebSocket, kept alive across network drops.
 *
 * - The first connection comes without `after_seq` and gets a `history` frame; every later one
 *   asks for `?after_seq=<last seq seen>`, so the server replays exactly what was missed
 *   (API.md §5). Events are handed on strictly in seq order, each once: a seq at or below the
 *   last one is a duplicate (dropped), a seq beyond the next one is a gap (the socket is
 *   re-opened from the last seq, which the server fills exactly).
 * - A drop (close without a session-ended code, or the browser going offline) reconnects with
 *   backoff; going back online reconnects at once.
 * - Frames sent while disconnected wait in an outbox and go out on the next open.
 */
import type { ClientFrame } from "../../schemas/client-frames.ts";
import type { ServerEnvelope, StoredEnvelope } from "../../schemas/events.ts";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "offline" | "ended" | "gone" | "unauthorized" | "closed";

export interface SessionSocketOptions {
  /** Builds the socket URL for a resume point (null: first connection, wants `history`). */
  url: (afterSeq: number | null) => string;
  /** A stored event, in seq order, each exactly once. */
  onEvent: (event: StoredEnvelope) => void;
  /** A reply meant for this client (`error`, `upload_url`, ...; seq null). */
  onReply?: (frame: ServerEnvelope) => void;
  onState?: (state: ConnectionState, detail?: string) => void;
  /** Start after this seq (events up to it are already known). */
  afterSeq?: number | null;
  /** Ask the REST API whether the session still exists when upgrades keep failing. */
  probe?: () => Promise<"ok" | "gone" | "unauthorized">;
}

/** Close codes of API.md §5. */
const CLOSE_AUTH = 4001;
const CLOSE_WRONG_USER = 4003;
const CLOSE_NOT_FOUND = 4004;
const CLOSE_ENDED = 4100;
const HEARTBEAT_MS = 30_000;

export class SessionSocket {
  private ws: WebSocket | null = null;
  private readonly opts: SessionSocketOptions;
  /** Highest seq handed on; the resume point. */
  lastSeq: number;
  /** Lowest seq known (history frames may start late in long sessions). */
  firstSeq: number | null = null;
  private everConnected: boolean;
  private stopped = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private outbox: string[] = [];
  state: ConnectionState = "connecting";
  /** Diagnostics: connections opened and duplicate events dropped. */
  readonly stats = { opens: 0, duplicatesDropped: 0, gaps: 0 };

  constructor(opts: SessionSocketOptions) {
    this.opts = opts;
    this.lastSeq = opts.afterSeq ?? 0;
    this.everConnected = opts.afterSeq !== undefined && opts.afterSeq !== null;
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
    this.connect();
  }

  private setState(state: ConnectionState, detail?: string): void {
    this.state = state;
    this.opts.onState?.(state, detail);
  }

  private connect(): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!navigator.onLine) {
      this.setState("offline");
      return;
    }
    this.detach();
    const ws = new WebSocket(this.opts.url(this.everConnected ? this.lastSeq : null));
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      opened = true;
      this.attempt = 0;
      this.stats.opens++;
      this.setState("open");
      const pending = this.outbox.splice(0);
      for (const data of pending) ws.send(data);
      this.heartbeat = setInterval(() => this.sendRaw(JSON.stringify({ type: "heartbeat" })), HEARTBEAT_MS);
    };
    ws.onmessage = (message) => {
      if (ws !== this.ws) return;
      let frame: ServerEnvelope;
      try {
        frame = JSON.parse(String(message.data));
      } catch {
        return;
      }
      this.receive(frame);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.detach();
      this.onClosed(event.code, event.reason, opened);
    };
  }

  private receive(frame: ServerEnvelope): void {
    if (frame.type === "history") {
      this.everConnected = true;
      const messages = [...frame.payload.messages].sort((a, b) => a.seq - b.seq);
      if (messages.length && this.firstSeq === null) this.firstSeq = messages[0]!.seq;
      for (const event of messages) {
        if (event.seq <= this.lastSeq) {
          this.stats.duplicatesDropped++;
          continue;
        }
        // A history frame may begin after seq 1 (long sessions): that is not a gap.
        this.lastSeq = event.seq;
        this.opts.onEvent(event);
      }
      return;
    }
    if (frame.seq === null) {
      this.opts.onReply?.(frame);
      return;
    }
    this.everConnected = true;
    const event = frame as StoredEnvelope;
    if (event.seq <= this.lastSeq) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (event.seq !== this.lastSeq + 1 && this.lastSeq > 0) {
      // Something was skipped: reopen from the last seq; the server replays exactly the rest.
      this.stats.gaps++;
      this.reconnectNow();
      return;
    }
    if (this.firstSeq === null) this.firstSeq = event.seq;
    this.lastSeq = event.seq;
    this.opts.onEvent(event);
  }

  private onClosed(code: number, reason: string, opened: boolean): void {
    if (this.stopped) return;
    if (code === CLOSE_ENDED) return this.setState("ended", reason);
    if (code === CLOSE_NOT_FOUND || code === CLOSE_WRONG_USER) return this.setState("gone", reason);
    if (code === CLOSE_AUTH) return this.setState("unauthorized", reason);
    if (!navigator.onLine) return this.setState("offline");
    this.attempt++;
    this.setState("reconnecting");
    // An upgrade refused over HTTP (403/404) looks like a plain failure in a browser: ask REST why.
    if (!opened && this.attempt >= 3 && this.opts.probe) {
      void this.opts.probe().then((verdict) => {
        if (this.stopped) return;
        if (verdict === "gone") this.setState("gone");
        else if (verdict === "unauthorized") this.setState("unauthorized");
        else this.scheduleRetry();
      }, () => this.scheduleRetry());
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = Math.min(10_000, 250 * 2 ** Math.min(this.attempt, 6)) * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private readonly onOffline = () => {
    if (this.stopped || this.state === "ended" || this.state === "gone") return;
    // The network is gone: this socket can no longer be trusted (browsers may keep a dead
    // socket open for minutes). Drop it; the resume point is lastSeq.
    this.detach();
    this.setState("offline");
  };

  private readonly onOnline = () => {
    if (this.stopped || this.state === "ended" || this.state === "gone" || this.state === "unauthorized") return;
    this.attempt = 0;
    this.connect();
  };

  /** Drops the current socket and opens a new one from lastSeq at once. */
  reconnectNow(): void {
    if (this.stopped) return;
    this.detach();
    this.setState("reconnecting");
    this.connect();
  }

  private detach(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, "client reconnecting");
      } catch {
        // already closed
      }
    }
  }

  private sendRaw(data: string): boolean {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(data);
      return true;
    }
    return false;
  }

  /** Sends a client frame now, or as soon as the socket is open again. */
  send(frame: ClientFrame): void {
    const data = JSON.stringify(frame);
    if (!this.sendRaw(data) && frame.type !== "heartbeat") this.outbox.push(data);
  }

  /** True when a frame sent now goes out immediately. */
  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    this.detach();
    this.setState("closed");
  }
}
