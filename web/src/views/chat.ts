/**
 * The chat view of one session: the conversation streamed over the session WebSocket
 * (chat/connection.ts: resumed with `after_seq` after any drop, each event shown once), rendered
 * item by item (chat/items.ts and the cards beside it), with the composer and the session's
 * controls. This file holds the view's state and its render loop.
 */
import type { ServerEnvelope, StoredEnvelope } from "../../../schemas/events.ts";
import type { Session } from "../../../schemas/session.ts";
import { AiSessionsError } from "../../../client-core/errors.ts";
import { hasFileRoutes } from "../api.ts";
import { derive, type Derived, type LocalAnswers } from "../chat-model.ts";
import { h, replace, toast } from "../dom.ts";
import type { App } from "../app.ts";
import { sessionTitle } from "./session-list.ts";
import { Composer } from "./chat/composer.ts";
import { openChatSocket, type ChatSocket, type ConnectionState } from "./chat/connection.ts";
import type { ChatContext } from "./chat/context.ts";
import { downloadFile, uploadFile } from "./chat/file-actions.ts";
import { knownFiles, openDownloadPicker } from "./chat/download-picker.ts";
import { renderBanner, renderHeader } from "./chat/header.ts";
import { renderItem } from "./chat/items.ts";

export class ChatView {
  readonly el: HTMLElement;
  readonly sessionId: string;
  readonly #app: App;
  readonly #events: StoredEnvelope[] = [];
  readonly #rendered = new Map<string, { sig: string; el: HTMLElement }>();
  #record: Session | null = null;
  #socket: ChatSocket | null = null;
  #derived: Derived = { items: [], status: null, firstPending: null, costUsd: 0, simulated: false, running: false };
  #connection: ConnectionState = "connecting";
  #renderQueued = false;
  #destroyed = false;
  #filesAvailable = false;
  #loadingEarlier = false;
  #stickToBottom = true;
  /**
   * Whether the stored conversation is known: the history frame arrived, or this view sent a
   * prompt. Until then the chat is not "empty", only loading (no "Start the conversation" flash).
   */
  #conversationKnown = false;
  #sentPrompt = false;
  /** The record is read again once after the first prompt, which names an unnamed session. */
  #nameRefreshed = false;
  /** Workspace paths this view uploaded, offered by the download picker. */
  readonly #uploaded: string[] = [];
  /** What the cards see of this view. */
  readonly #context: ChatContext;

  // Parts of the view
  readonly #header = h("div", { class: "chat-header" });
  readonly #stream = h("div", { class: "chat-stream", "data-testid": "chat-stream", role: "log", "aria-live": "polite" });
  readonly #earlier = h("div", { class: "earlier" });
  readonly #items = h("div", { class: "items" });
  readonly #empty = h("div", { class: "chat-empty" });
  readonly #composer: Composer;
  readonly #fileInput: HTMLInputElement;
  readonly #banner = h("div", { class: "conn-banner", role: "status", "data-testid": "connection" });

  constructor(app: App, sessionId: string) {
    this.#app = app;
    this.sessionId = sessionId;
    const view = this;
    const local: LocalAnswers = { approvals: new Map(), questions: new Map() };
    const drafts = new Map<string, Record<string, string>>();
    this.#context = {
      sessionId,
      local,
      drafts,
      get ended() {
        return view.#ended;
      },
      get filesAvailable() {
        return view.#filesAvailable;
      },
      act: (action) => this.#act(action),
      rerender: () => this.#scheduleRender(),
      download: (path) => void downloadFile(app.api, sessionId, path),
      scrollToKey: (key) => this.#scrollToKey(key),
    };
    this.#composer = new Composer({
      send: (text) => {
        if (this.#ended || !this.#act((socket) => socket.prompt(text))) return false;
        this.#stickToBottom = true;
        this.#sentPrompt = true;
        this.#scheduleRender();
        return true;
      },
      interrupt: () => {
        this.#act((socket) => socket.interrupt());
        toast("Interrupt sent");
      },
    });
    this.#fileInput = h("input", {
      type: "file",
      class: "hidden",
      "data-testid": "upload-input",
      onchange: () => void this.#uploadSelected(),
    });
    this.#stream.append(this.#earlier, this.#empty, this.#items);
    this.el = h(
      "section",
      { class: "chat", "data-testid": "chat", "data-session-id": sessionId },
      this.#header,
      this.#banner,
      this.#stream,
      this.#composer.el,
      this.#fileInput,
    );
    this.#renderHeader();
    void this.#load();
  }

  async #load(): Promise<void> {
    void hasFileRoutes(this.#app.api.base).then((ok) => {
      this.#filesAvailable = ok;
      this.#renderHeader();
      this.#scheduleRender(true);
    });
    // The socket opens at once; the record (name, profile, usage) arrives beside it.
    this.#socket = openChatSocket(this.#app.api, this.sessionId, {
      event: (event) => this.#onEvent(event),
      reply: (frame) => this.#onReply(frame),
      history: () => {
        this.#conversationKnown = true;
        this.#scheduleRender();
      },
      state: (state) => {
        this.#connection = state;
        renderBanner(this.#banner, state);
        this.#renderHeader();
        this.#renderComposer();
        if (state === "unauthorized") this.#app.signOut("Your token was refused. Sign in again.");
        if (state === "ended") void this.#refreshRecord();
      },
    });
    // Diagnostics for tests and bug reports: the socket's counters and the events held.
    (window as unknown as { __aiSessions?: unknown }).__aiSessions = { socket: this.#socket, events: this.#events };
    try {
      this.#record = await this.#app.api.getSession(this.sessionId);
      if (this.#destroyed) return;
      this.#app.store.upsert(this.#record);
      document.title = `${sessionTitle(this.#record)} · AI Sessions`;
    } catch (error) {
      if (this.#destroyed) return;
      if (error instanceof AiSessionsError && error.status === 404) {
        this.#socket.close();
        replace(
          this.el,
          h(
            "div",
            { class: "empty-state" },
            h("h1", null, "Session not found"),
            h("p", { class: "muted" }, "It may have been deleted or purged after its retention period."),
            h("a", { class: "btn", href: "/", "data-link": "" }, "Back to sessions"),
          ),
        );
        return;
      }
      toast((error as Error).message, "error");
    }
    this.#renderHeader();
  }

  async #refreshRecord(): Promise<void> {
    try {
      this.#record = await this.#app.api.getSession(this.sessionId);
      this.#app.store.upsert(this.#record);
      document.title = `${sessionTitle(this.#record)} · AI Sessions`;
      this.#renderHeader();
    } catch {
      // keep the old record
    }
  }

  destroy(): void {
    this.#destroyed = true;
    this.#socket?.close();
  }

  // ------------------------------------------------------------------------------------------
  // Events

  #onEvent(event: StoredEnvelope): void {
    this.#events.push(event);
    this.#conversationKnown = true;
    // The first prompt names an unnamed session (server side): read the record again for its name.
    if (event.type === "user" && this.#record && this.#record.name === null && !this.#nameRefreshed) {
      this.#nameRefreshed = true;
      void this.#refreshRecord();
    }
    if (event.type === "session_status") this.#app.store.applyStatus(this.sessionId, event.payload);
    if (event.type === "session_end" && this.#record) {
      this.#record = {
        ...this.#record,
        status: "ended",
        ui_state: "Ended",
        needs_attention: false,
        end_reason: event.payload.reason,
        end_detail: event.payload.detail,
      };
      this.#app.store.applyStatus(
        this.sessionId,
        { status: "ended", ui_state: "Ended", needs_attention: false, dormant: this.#record.dormant },
        event.payload.reason,
      );
    }
    this.#scheduleRender();
  }

  #onReply(frame: ServerEnvelope): void {
    if (frame.type === "error") toast(`${frame.payload.message}`, "error");
  }

  /** Runs a socket action; what cannot go out now waits for the connection (the user is told). */
  #act(action: (socket: ChatSocket) => void): boolean {
    if (!this.#socket) return false;
    try {
      action(this.#socket);
    } catch (error) {
      // The socket is closed for good (the session ended or is gone): the banner says why.
      toast((error as Error).message, "error");
      return false;
    }
    if (!this.#socket.isOpen && this.#connection !== "connecting") toast("Not connected: it will be sent when the connection is back.");
    return true;
  }

  get #ended(): boolean {
    return this.#derived.status?.status === "ended" || this.#record?.status === "ended" || this.#connection === "ended";
  }

  // ------------------------------------------------------------------------------------------
  // Rendering

  #scheduleRender(force = false): void {
    if (force) this.#rendered.clear();
    if (this.#renderQueued) return;
    this.#renderQueued = true;
    const run = () => {
      if (!this.#renderQueued) return;
      this.#renderQueued = false;
      if (!this.#destroyed) this.#render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 100); // background tabs get no animation frames
  }

  #render(): void {
    const stream = this.#stream;
    const nearBottom = stream.scrollHeight - stream.scrollTop - stream.clientHeight < 120;
    this.#derived = derive(this.#events, this.#context.local);
    const seen = new Set<string>();
    let prev: Element | null = null;
    for (const item of this.#derived.items) {
      seen.add(item.key);
      let entry = this.#rendered.get(item.key);
      if (!entry || entry.sig !== item.sig) {
        const el = renderItem(this.#context, item);
        el.dataset.key = item.key;
        el.dataset.seq = String(item.seq);
        if (entry) entry.el.replaceWith(el);
        entry = { sig: item.sig, el };
        this.#rendered.set(item.key, entry);
      }
      const expected: Element | null = prev ? prev.nextElementSibling : this.#items.firstElementChild;
      if (expected !== entry.el) {
        if (prev) prev.after(entry.el);
        else this.#items.prepend(entry.el);
      }
      prev = entry.el;
    }
    for (const [key, entry] of this.#rendered) {
      if (!seen.has(key)) {
        entry.el.remove();
        this.#rendered.delete(key);
      }
    }
    // Anything left in the container that is not a current item (stale after a forced re-render).
    for (const child of Array.from(this.#items.children)) {
      const key = (child as HTMLElement).dataset.key;
      if (!key || this.#rendered.get(key)?.el !== child) child.remove();
    }
    this.#renderEarlier();
    const hasConversation = this.#derived.items.some((i) => i.kind !== "notice" || i.subtype !== "init");
    if (hasConversation || this.#ended || this.#sentPrompt || !this.#conversationKnown) replace(this.#empty);
    else if (!this.#empty.firstChild)
      replace(
        this.#empty,
        h("h2", null, "Start the conversation"),
        h(
          "p",
          null,
          "Ask the agent to investigate, run tools or write files. Tool calls show up as cards you can open; approvals and questions appear here for you to answer.",
        ),
      );
    this.#renderHeader();
    this.#renderComposer();
    if (nearBottom || this.#stickToBottom) {
      stream.scrollTop = stream.scrollHeight;
      this.#stickToBottom = false;
    }
  }

  #renderEarlier(): void {
    const first = this.#events[0]?.seq ?? null;
    if (first !== null && first > 1) {
      replace(
        this.#earlier,
        h(
          "button",
          { class: "btn btn-ghost btn-sm", disabled: this.#loadingEarlier, onclick: () => void this.#loadEarlier() },
          this.#loadingEarlier ? "Loading…" : `Load ${first - 1} earlier event${first === 2 ? "" : "s"}`,
        ),
      );
    } else replace(this.#earlier);
  }

  /** Pages the events before the first one the socket delivered from the REST history. */
  async #loadEarlier(): Promise<void> {
    const first = this.#events[0]?.seq;
    if (!first || first <= 1 || this.#loadingEarlier) return;
    this.#loadingEarlier = true;
    this.#renderEarlier();
    try {
      const older: StoredEnvelope[] = [];
      let after = 0;
      for (;;) {
        const page = await this.#app.api.history(this.sessionId, after, 1000);
        older.push(...page.messages.filter((m) => m.seq < first));
        if (page.next_after_seq === null || page.next_after_seq >= first - 1) break;
        after = page.next_after_seq;
      }
      const have = new Set(this.#events.map((e) => e.seq));
      this.#events.unshift(...older.filter((e) => !have.has(e.seq)));
      this.#events.sort((a, b) => a.seq - b.seq);
    } catch (error) {
      toast((error as Error).message, "error");
    } finally {
      this.#loadingEarlier = false;
      this.#scheduleRender();
    }
  }

  #renderHeader(): void {
    const state = {
      sessionId: this.sessionId,
      record: this.#record,
      status: this.#derived.status ?? this.#record,
      connection: this.#connection,
      ended: this.#ended,
      costUsd: this.#derived.costUsd,
      simulated: this.#derived.simulated,
      filesAvailable: this.#filesAvailable,
    };
    renderHeader(this.#app, this.#header, state, {
      upload: () => this.#fileInput.click(),
      askDownload: () =>
        openDownloadPicker(this.el, knownFiles(this.sessionId, this.#derived.items, this.#uploaded), (path) =>
          downloadFile(this.#app.api, this.sessionId, path),
        ),
      refreshRecord: () => void this.#refreshRecord(),
    });
  }

  #renderComposer(): void {
    this.#composer.update(this.#ended, this.#derived.running);
  }

  #scrollToKey(key: string): void {
    const entry = this.#rendered.get(key);
    if (!entry) return;
    entry.el.scrollIntoView({ behavior: "smooth", block: "center" });
    entry.el.classList.remove("flash");
    void entry.el.offsetWidth;
    entry.el.classList.add("flash");
    const focusable = entry.el.querySelector<HTMLElement>("button, input");
    focusable?.focus({ preventScroll: true });
  }

  async #uploadSelected(): Promise<void> {
    const file = this.#fileInput.files?.[0];
    this.#fileInput.value = "";
    if (!file) return;
    // Offer the uploaded file's path to the next message.
    const path = await uploadFile(this.#app.api, this.sessionId, file, this.#banner);
    if (path) {
      this.#uploaded.push(path);
      this.#composer.append(path);
    }
  }
}
