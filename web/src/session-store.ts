/**
 * The signed-in user's sessions as the sidebar shows them, kept current three ways:
 * - the list from GET /v1/sessions (on start, on focus, and every 20 s as a safety net);
 * - one lightweight socket per live session that asks only for *new* events (an `after_seq`
 *   beyond the end of the log: no replay) and applies `session_status` / `session_end`;
 * - the open chat view, which reports every status event it sees.
 */
import { SessionSocket } from "../../client-core/session-socket.ts";
import type { ServerEnvelope, SessionStatusPayload } from "../../schemas/events.ts";
import type { SessionSummary } from "../../schemas/session.ts";
import type { Api } from "./api.ts";

const POLL_MS = 20_000;
const MAX_WATCHERS = 12;
/** Watchers reconnect slowly: the list poll covers what they miss. */
const WATCH_RECONNECT = { minDelayMs: 1_000, maxDelayMs: 30_000 };
/** An `after_seq` past any log's end: the server replays nothing and sends live events only. */
const LIVE_ONLY = Number.MAX_SAFE_INTEGER;

export class SessionStore {
  sessions: SessionSummary[] = [];
  nextCursor: string | null = null;
  loaded = false;
  error: string | null = null;
  private readonly api: Api;
  private readonly listeners = new Set<() => void>();
  private readonly watchers = new Map<string, SessionSocket<ServerEnvelope>>();
  private poll: ReturnType<typeof setInterval> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(api: Api) {
    this.api = api;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  start(): void {
    void this.refresh();
    this.poll = setInterval(() => {
      if (document.visibilityState === "visible") void this.refresh();
    }, POLL_MS);
    document.addEventListener("visibilitychange", this.onVisible);
    window.addEventListener("online", this.onVisible);
  }

  stop(): void {
    if (this.poll) clearInterval(this.poll);
    document.removeEventListener("visibilitychange", this.onVisible);
    window.removeEventListener("online", this.onVisible);
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
  }

  private readonly onVisible = () => {
    if (document.visibilityState === "visible") void this.refresh();
  };

  /** Reloads the first page (and keeps any later pages the user loaded). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const page = await this.api.listSessions(null, 50);
        const fresh = new Map(page.sessions.map((s) => [s.id, s]));
        const older = this.sessions.filter(
          (s) => !fresh.has(s.id) && this.loaded && page.next_cursor !== null && s.created_at < (page.sessions.at(-1)?.created_at ?? ""),
        );
        this.sessions = [...page.sessions, ...older];
        if (!this.loaded || older.length === 0) this.nextCursor = page.next_cursor;
        this.loaded = true;
        this.error = null;
        this.syncWatchers();
      } catch (error) {
        this.error = (error as Error).message;
      } finally {
        this.refreshing = null;
        this.changed();
      }
    })();
    return this.refreshing;
  }

  async loadMore(): Promise<void> {
    if (!this.nextCursor) return;
    const page = await this.api.listSessions(this.nextCursor, 50);
    const known = new Set(this.sessions.map((s) => s.id));
    this.sessions.push(...page.sessions.filter((s) => !known.has(s.id)));
    this.nextCursor = page.next_cursor;
    this.changed();
  }

  get(id: string): SessionSummary | undefined {
    return this.sessions.find((s) => s.id === id);
  }

  /** Adds or updates a session (e.g. just created, or the chat view's record). */
  upsert(session: SessionSummary): void {
    const i = this.sessions.findIndex((s) => s.id === session.id);
    const summary: SessionSummary = {
      id: session.id,
      name: session.name,
      status: session.status,
      ui_state: session.ui_state,
      needs_attention: session.needs_attention,
      dormant: session.dormant,
      created_at: session.created_at,
      started_at: session.started_at,
      terminated_at: session.terminated_at,
      end_reason: session.end_reason,
      allowed_tools: session.allowed_tools,
      denied_tools: session.denied_tools,
      exit_code: session.exit_code,
      region: session.region,
      lc_auth_type: session.lc_auth_type,
    };
    if (i === -1) this.sessions.unshift(summary);
    else this.sessions[i] = summary;
    this.syncWatchers();
    this.changed();
  }

  remove(id: string): void {
    this.sessions = this.sessions.filter((s) => s.id !== id);
    this.unwatch(id);
    this.changed();
  }

  /** A `session_status` event for a session (from a watcher or the chat view). */
  applyStatus(id: string, status: SessionStatusPayload, endReason?: string | null): void {
    const s = this.get(id);
    if (!s) return;
    const next = {
      ...s,
      status: status.status,
      ui_state: status.ui_state,
      needs_attention: status.needs_attention,
      dormant: status.dormant,
    };
    if (endReason !== undefined) next.end_reason = endReason as SessionSummary["end_reason"];
    if (JSON.stringify(next) === JSON.stringify(s)) return;
    Object.assign(s, next);
    if (s.status === "ended") this.unwatch(id);
    this.changed();
  }

  private syncWatchers(): void {
    const live = this.sessions.filter((s) => s.status !== "ended").slice(0, MAX_WATCHERS);
    const wanted = new Set(live.map((s) => s.id));
    for (const id of [...this.watchers.keys()]) if (!wanted.has(id)) this.unwatch(id);
    for (const s of live) if (!this.watchers.has(s.id)) this.watch(s.id);
  }

  /**
   * A watcher is the client core's session socket starting at the log's end: it first asks for
   * live events only, and resumes after a drop from the last event it saw. A final close (ended,
   * gone, refused) ends it and the list is read again.
   */
  private watch(id: string): void {
    const watcher: SessionSocket<ServerEnvelope> = new SessionSocket<ServerEnvelope>({
      sessionId: id,
      url: (afterSeq) => this.api.socketUrl(id, afterSeq ?? LIVE_ONLY),
      reconnect: WATCH_RECONNECT,
      expandHistory: false,
      listener: {
        // Anything that changed while this socket was not open is in the list.
        open: ({ reconnected }) => reconnected && void this.refresh(),
        frame: (frame) => {
          if (frame.type === "session_status") this.applyStatus(id, frame.payload);
          else if (frame.type === "session_end") {
            const s = this.get(id);
            if (s)
              this.applyStatus(
                id,
                { status: "ended", ui_state: "Ended", needs_attention: false, dormant: s.dormant },
                frame.payload.reason,
              );
          }
        },
        // The closed watcher stays in the map, so the list's next read cannot reopen it in a loop.
        close: (info) => !info.willReconnect && this.watchers.get(id) === watcher && void this.refresh(),
      },
    });
    this.watchers.set(id, watcher);
  }

  private unwatch(id: string): void {
    const watcher = this.watchers.get(id);
    if (!watcher) return;
    this.watchers.delete(id);
    watcher.close();
  }
}
