/**
 * The chat view of one session: the conversation streamed over the session WebSocket
 * (resumed with `after_seq` after any drop, each event shown once), tool calls as collapsible
 * cards, approvals and questions answered in place, and the session's controls (interrupt,
 * terminate, upload, download).
 */
import type { ClientFrame } from "../../../schemas/client-frames.ts";
import type { ContentBlock, Question, ServerEnvelope, StoredEnvelope } from "../../../schemas/events.ts";
import type { Session } from "../../../schemas/session.ts";
import { ApiFailure, hasFileRoutes } from "../api.ts";
import { derive, type Derived, type Item, type LocalAnswers } from "../chat-model.ts";
import { h, relativeTime, replace, toast, toolSummary } from "../dom.ts";
import type { App } from "../app.ts";
import { renderMarkdown } from "../markdown-dom.ts";
import { SessionSocket, type ConnectionState } from "../socket.ts";
import { endReasonText, sessionTitle, stateBadge } from "./session-list.ts";

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline — resumes when you are back online",
  ended: "Session ended",
  gone: "Session not found",
  unauthorized: "Not authorised",
  closed: "Closed",
};

function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function resultText(content: string | ContentBlock[]): string {
  if (typeof content === "string") return content;
  return content.map((b) => (b.type === "text" && typeof b["text"] === "string" ? b["text"] : prettyJson(b))).join("\n");
}

/** Longest tool output shown before "show all". */
const RESULT_PREVIEW_CHARS = 4_000;

export class ChatView {
  readonly el: HTMLElement;
  readonly sessionId: string;
  private readonly app: App;
  private readonly events: StoredEnvelope[] = [];
  private readonly local: LocalAnswers = { approvals: new Map(), questions: new Map() };
  private readonly rendered = new Map<string, { sig: string; el: HTMLElement }>();
  private record: Session | null = null;
  private socket: SessionSocket | null = null;
  private derived: Derived = { items: [], status: null, firstPending: null, costUsd: 0, running: false };
  private connection: ConnectionState = "connecting";
  private renderQueued = false;
  private destroyed = false;
  private filesAvailable = false;
  private loadingEarlier = false;
  /** Draft answers of open questions, by question_id → question text → answer. */
  private readonly drafts = new Map<string, Record<string, string>>();

  // Parts of the view
  private readonly header = h("div", { class: "chat-header" });
  private readonly stream = h("div", { class: "chat-stream", "data-testid": "chat-stream", role: "log", "aria-live": "polite" });
  private readonly earlier = h("div", { class: "earlier" });
  private readonly items = h("div", { class: "items" });
  private readonly empty = h("div", { class: "chat-empty" });
  private readonly composer: HTMLFormElement;
  private readonly input: HTMLTextAreaElement;
  private readonly sendBtn: HTMLButtonElement;
  private readonly stopBtn: HTMLButtonElement;
  private readonly fileInput: HTMLInputElement;
  private readonly banner = h("div", { class: "conn-banner", role: "status", "data-testid": "connection" });

  constructor(app: App, sessionId: string) {
    this.app = app;
    this.sessionId = sessionId;
    this.input = h("textarea", {
      class: "composer-input",
      rows: 1,
      placeholder: "Message the agent…",
      title: "Enter sends, Shift+Enter starts a new line",
      "aria-label": "Message",
      "data-testid": "composer-input",
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.composer.requestSubmit();
        }
      },
      oninput: () => this.autosize(),
    });
    this.sendBtn = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "send" }, "Send");
    this.stopBtn = h("button", { class: "btn btn-warn", type: "button", title: "Interrupt the agent", "data-testid": "interrupt", onclick: () => this.interrupt() }, "■ Stop");
    this.fileInput = h("input", { type: "file", class: "hidden", "data-testid": "upload-input", onchange: () => void this.uploadSelected() });
    this.composer = h(
      "form",
      {
        class: "composer",
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
          this.sendPrompt();
        },
      },
      this.input,
      h("div", { class: "composer-actions" }, this.stopBtn, this.sendBtn),
    );
    this.stream.append(this.earlier, this.empty, this.items);
    this.el = h("section", { class: "chat", "data-testid": "chat", "data-session-id": sessionId }, this.header, this.banner, this.stream, this.composer, this.fileInput);
    this.renderHeader();
    void this.load();
  }

  private async load(): Promise<void> {
    void hasFileRoutes(this.app.api.base).then((ok) => {
      this.filesAvailable = ok;
      this.renderHeader();
      this.scheduleRender(true);
    });
    // The socket opens at once; the record (name, profile, usage) arrives beside it.
    this.socket = new SessionSocket({
      url: (afterSeq) => this.app.api.socketUrl(this.sessionId, afterSeq),
      onEvent: (event) => this.onEvent(event),
      onReply: (frame) => this.onReply(frame),
      onState: (state) => {
        this.connection = state;
        this.renderBanner();
        this.renderComposer();
        if (state === "unauthorized") this.app.signOut("Your token was refused. Sign in again.");
        if (state === "ended") void this.refreshRecord();
      },
      probe: async () => {
        try {
          await this.app.api.getSession(this.sessionId);
          return "ok";
        } catch (error) {
          if (error instanceof ApiFailure && error.status === 404) return "gone";
          if (error instanceof ApiFailure && error.status === 401) return "unauthorized";
          return "ok";
        }
      },
    });
    // Diagnostics for tests and bug reports: the socket's counters and the events held.
    (window as unknown as { __aiSessions?: unknown }).__aiSessions = { socket: this.socket, events: this.events };
    try {
      this.record = await this.app.api.getSession(this.sessionId);
      if (this.destroyed) return;
      this.app.store.upsert(this.record);
      document.title = `${sessionTitle(this.record)} · AI Sessions`;
    } catch (error) {
      if (this.destroyed) return;
      if (error instanceof ApiFailure && error.status === 404) {
        this.socket.close();
        replace(this.el, h("div", { class: "empty-state" }, h("h1", null, "Session not found"), h("p", { class: "muted" }, "It may have been deleted or purged after its retention period."), h("a", { class: "btn", href: "/", "data-link": "" }, "Back to sessions")));
        return;
      }
      toast((error as Error).message, "error");
    }
    this.renderHeader();
  }

  private async refreshRecord(): Promise<void> {
    try {
      this.record = await this.app.api.getSession(this.sessionId);
      this.app.store.upsert(this.record);
      this.renderHeader();
    } catch {
      // keep the old record
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.socket?.close();
  }

  // ------------------------------------------------------------------------------------------
  // Events

  private onEvent(event: StoredEnvelope): void {
    this.events.push(event);
    if (event.type === "session_status") this.app.store.applyStatus(this.sessionId, event.payload);
    if (event.type === "session_end" && this.record) {
      this.record = { ...this.record, status: "ended", ui_state: "Ended", needs_attention: false, end_reason: event.payload.reason, end_detail: event.payload.detail };
      this.app.store.applyStatus(this.sessionId, { status: "ended", ui_state: "Ended", needs_attention: false, dormant: this.record.dormant }, event.payload.reason);
    }
    this.scheduleRender();
  }

  private onReply(frame: ServerEnvelope): void {
    if (frame.type === "error") toast(`${frame.payload.message}`, "error");
  }

  private send(frame: ClientFrame): boolean {
    if (!this.socket) return false;
    this.socket.send(frame);
    if (!this.socket.isOpen && this.connection !== "connecting") toast("Not connected: it will be sent when the connection is back.");
    return true;
  }

  private sendPrompt(): void {
    const text = this.input.value.trim();
    if (!text || this.ended) return;
    if (!this.send({ type: "prompt", payload: { text } })) return;
    this.input.value = "";
    this.autosize();
    this.stickToBottom = true;
  }

  private interrupt(): void {
    this.send({ type: "interrupt" });
    toast("Interrupt sent");
  }

  private get ended(): boolean {
    return this.derived.status?.status === "ended" || this.record?.status === "ended" || this.connection === "ended";
  }

  // ------------------------------------------------------------------------------------------
  // Rendering

  private stickToBottom = true;

  private scheduleRender(force = false): void {
    if (force) this.rendered.clear();
    if (this.renderQueued) return;
    this.renderQueued = true;
    const run = () => {
      if (!this.renderQueued) return;
      this.renderQueued = false;
      if (!this.destroyed) this.render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 100); // background tabs get no animation frames
  }

  private render(): void {
    const nearBottom = this.stream.scrollHeight - this.stream.scrollTop - this.stream.clientHeight < 120;
    this.derived = derive(this.events, this.local);
    const seen = new Set<string>();
    let prev: Element | null = null;
    for (const item of this.derived.items) {
      seen.add(item.key);
      let entry = this.rendered.get(item.key);
      if (!entry || entry.sig !== item.sig) {
        const el = this.renderItem(item);
        el.dataset.key = item.key;
        el.dataset.seq = String(item.seq);
        if (entry) entry.el.replaceWith(el);
        entry = { sig: item.sig, el };
        this.rendered.set(item.key, entry);
      }
      const expected: Element | null = prev ? prev.nextElementSibling : this.items.firstElementChild;
      if (expected !== entry.el) {
        if (prev) prev.after(entry.el);
        else this.items.prepend(entry.el);
      }
      prev = entry.el;
    }
    for (const [key, entry] of this.rendered) {
      if (!seen.has(key)) {
        entry.el.remove();
        this.rendered.delete(key);
      }
    }
    // Anything left in the container that is not a current item (stale after a forced re-render).
    for (const child of Array.from(this.items.children)) {
      const key = (child as HTMLElement).dataset.key;
      if (!key || this.rendered.get(key)?.el !== child) child.remove();
    }
    this.renderEarlier();
    const hasConversation = this.derived.items.some((i) => i.kind !== "notice" || i.subtype !== "init");
    if (hasConversation || this.ended) replace(this.empty);
    else if (!this.empty.firstChild) replace(this.empty, h("h2", null, "Start the conversation"), h("p", null, "Ask the agent to investigate, run tools or write files. Tool calls show up as cards you can open; approvals and questions appear here for you to answer."));
    this.renderHeader();
    this.renderComposer();
    if (nearBottom || this.stickToBottom) {
      this.stream.scrollTop = this.stream.scrollHeight;
      this.stickToBottom = false;
    }
  }

  private renderEarlier(): void {
    const first = this.events[0]?.seq ?? null;
    if (first !== null && first > 1) {
      replace(
        this.earlier,
        h("button", { class: "btn btn-ghost btn-sm", disabled: this.loadingEarlier, onclick: () => void this.loadEarlier() }, this.loadingEarlier ? "Loading…" : `Load ${first - 1} earlier event${first === 2 ? "" : "s"}`),
      );
    } else replace(this.earlier);
  }

  /** Pages the events before the first one the socket delivered from the REST history. */
  private async loadEarlier(): Promise<void> {
    const first = this.events[0]?.seq;
    if (!first || first <= 1 || this.loadingEarlier) return;
    this.loadingEarlier = true;
    this.renderEarlier();
    try {
      const older: StoredEnvelope[] = [];
      let after = 0;
      for (;;) {
        const page = await this.app.api.history(this.sessionId, after, 1000);
        older.push(...page.messages.filter((m) => m.seq < first));
        if (page.next_after_seq === null || page.next_after_seq >= first - 1) break;
        after = page.next_after_seq;
      }
      const have = new Set(this.events.map((e) => e.seq));
      this.events.unshift(...older.filter((e) => !have.has(e.seq)));
      this.events.sort((a, b) => a.seq - b.seq);
    } catch (error) {
      toast((error as Error).message, "error");
    } finally {
      this.loadingEarlier = false;
      this.scheduleRender();
    }
  }

  private renderBanner(): void {
    const state = this.connection;
    this.banner.dataset.state = state;
    this.banner.className = `conn-banner conn-${state}`;
    replace(this.banner, state === "open" || state === "connecting" || state === "closed" ? "" : CONNECTION_TEXT[state]);
    this.renderHeader();
  }

  private renderHeader(): void {
    const status = this.derived.status ?? this.record;
    const ended = this.ended;
    const title = this.record ? sessionTitle(this.record) : `Session ${this.sessionId.slice(0, 8)}`;
    const cost = Math.max(this.derived.costUsd, this.record?.usage.cost_usd ?? 0);
    const files = this.filesAvailable && !ended;
    replace(
      this.header,
      h("a", { class: "icon-btn back-btn", href: "/", "data-link": "", "aria-label": "Back to sessions" }, "←"),
      h(
        "div",
        { class: "chat-title" },
        h("h1", { "data-testid": "chat-title" }, title),
        h(
          "div",
          { class: "chat-sub" },
          status ? stateBadge({ ui_state: ended ? "Ended" : status.ui_state, needs_attention: !ended && status.needs_attention, dormant: status.dormant }) : null,
          h("span", { class: `conn-dot conn-${this.connection}`, title: CONNECTION_TEXT[this.connection], "aria-label": CONNECTION_TEXT[this.connection] }),
          this.record?.profile ? h("span", { class: "muted small", title: "Permission mode" }, this.record.profile.permission_mode) : null,
          cost > 0 ? h("span", { class: "muted small", title: "Cost so far", "data-testid": "cost" }, `$${cost.toFixed(4)}`) : null,
          ended && this.record?.end_reason ? h("span", { class: "muted small" }, `ended: ${endReasonText(this.record.end_reason)}`) : null,
        ),
      ),
      h(
        "div",
        { class: "chat-actions" },
        files ? h("button", { class: "btn btn-sm", type: "button", title: "Upload a file into the session's workspace", "data-testid": "upload", onclick: () => this.fileInput.click() }, "⇧ Upload") : null,
        this.filesAvailable ? h("button", { class: "btn btn-sm", type: "button", title: "Download a file from the workspace", "data-testid": "download", disabled: ended && !this.filesAvailable, onclick: () => this.askDownload() }, "⇩ Download") : null,
        !ended ? h("button", { class: "btn btn-sm btn-danger", type: "button", "data-testid": "terminate", onclick: () => void this.terminate() }, "Terminate") : null,
        ended ? h("button", { class: "btn btn-sm btn-danger", type: "button", "data-testid": "delete-record", onclick: () => void this.deleteRecord() }, "Delete") : null,
      ),
    );
  }

  private renderComposer(): void {
    const ended = this.ended;
    this.input.disabled = ended;
    this.sendBtn.disabled = ended;
    this.input.placeholder = ended ? "This session has ended." : "Message the agent…";
    this.stopBtn.hidden = ended || !this.derived.running;
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 220)}px`;
  }

  private renderItem(item: Item): HTMLElement {
    switch (item.kind) {
      case "user":
        return h("div", { class: "msg msg-user", "data-testid": "msg-user" }, h("div", { class: "bubble" }, h("div", { class: "plain" }, item.text)), h("div", { class: "msg-time" }, relativeTime(item.time)));
      case "assistant":
        return h("div", { class: "msg msg-assistant", "data-testid": "msg-assistant" }, ...item.blocks.map((b) => this.renderBlock(b)));
      case "tool":
        return this.renderTool(item);
      case "approval":
        return this.renderApproval(item);
      case "question":
        return this.renderQuestion(item);
      case "notice":
        return h(
          "div",
          { class: `notice notice-${item.tone}`, "data-testid": `notice-${item.subtype}` },
          h("span", null, item.text),
          item.subtype === "message_queued" && item.jump
            ? h("button", { class: "btn btn-sm btn-link", type: "button", "data-testid": "jump-to-pending", onclick: () => this.scrollToKey(item.jump!) }, "Show pending request ↑")
            : null,
        );
      case "result":
        return h(
          "div",
          { class: `turn-end ${item.success ? "" : "turn-failed"}`, "data-testid": "turn-result" },
          item.success ? "Turn finished" : `Turn ended: ${item.subtype.replaceAll("_", " ")}`,
          item.turns ? ` · ${item.turns} turn${item.turns === 1 ? "" : "s"}` : "",
          !item.success && item.summary ? h("div", { class: "plain small" }, item.summary) : null,
        );
      case "end":
        return h("div", { class: "session-ended", "data-testid": "session-ended" }, h("strong", null, "Session ended"), ` — ${endReasonText(item.reason)}`, item.detail ? h("div", { class: "muted small" }, item.detail) : null);
    }
  }

  private renderBlock(block: ContentBlock): HTMLElement {
    if (block.type === "text" && typeof block["text"] === "string") return renderMarkdown(block["text"] as string);
    if (block.type === "thinking" && typeof block["thinking"] === "string") {
      return h("details", { class: "thinking" }, h("summary", null, "Thinking"), h("div", { class: "plain muted" }, block["thinking"] as string));
    }
    if (block.type === "redacted_thinking") return h("div", { class: "muted small" }, "(thinking redacted)");
    return h("details", { class: "raw-block" }, h("summary", null, block.type), h("pre", null, prettyJson(block)));
  }

  private renderTool(item: Extract<Item, { kind: "tool" }>): HTMLElement {
    const state = item.result ? (item.result.is_error ? "error" : "done") : item.waiting ? "waiting" : "running";
    const stateText = { error: "error", done: "done", waiting: "awaiting approval", running: "running" }[state];
    const summary = toolSummary(item.name, item.input);
    const body = h("div", { class: "tool-body" });
    if (Object.keys(item.input).length) body.append(h("div", { class: "tool-label" }, "Input"), h("pre", { class: "tool-pre" }, item.name === "Bash" && typeof item.input["command"] === "string" ? `$ ${item.input["command"]}` : prettyJson(item.input)));
    if (item.result) {
      const text = resultText(item.result.content);
      const pre = h("pre", { class: `tool-pre ${item.result.is_error ? "tool-error" : ""}`, "data-testid": "tool-output" }, text.length > RESULT_PREVIEW_CHARS ? `${text.slice(0, RESULT_PREVIEW_CHARS)}…` : text || "(no output)");
      body.append(h("div", { class: "tool-label" }, item.result.is_error ? "Error" : "Output"), pre);
      if (text.length > RESULT_PREVIEW_CHARS) {
        body.append(h("button", { class: "btn btn-sm btn-link", type: "button", onclick: (e: Event) => { pre.textContent = text; (e.target as HTMLElement).remove(); } }, `Show all ${text.length.toLocaleString()} characters`));
      }
    }
    const path = typeof item.input["file_path"] === "string" ? (item.input["file_path"] as string) : null;
    if (path && this.filesAvailable && (item.name === "Write" || item.name === "Edit" || item.name === "MultiEdit") && item.result && !item.result.is_error) {
      body.append(h("button", { class: "btn btn-sm", type: "button", "data-testid": "tool-download", onclick: () => void this.download(path) }, `⇩ Download ${path.split("/").pop()}`));
    }
    return h(
      "details",
      { class: `tool-card tool-${state}`, "data-testid": "tool-card", "data-tool": item.name, "data-tool-state": state, open: state === "waiting" ? true : null },
      h("summary", null, h("span", { class: "tool-icon", "aria-hidden": "true" }, state === "done" ? "✓" : state === "error" ? "✗" : state === "waiting" ? "!" : "…"), h("span", { class: "tool-name" }, item.name), h("span", { class: "tool-summary" }, summary), h("span", { class: "tool-state" }, stateText)),
      body,
    );
  }

  private renderApproval(item: Extract<Item, { kind: "approval" }>): HTMLElement {
    const { tool_name, tool_input, tool_use_id } = item.payload;
    // Exactly what the server grants for "session" (issue 9); no such button when it grants nothing.
    const pattern = (item.payload.session_patterns ?? []).join(", ");
    const answer = (approved: boolean, scope: "once" | "session") => {
      this.send({ type: "tool_approval_response", payload: { tool_use_id, approved, approval_scope: scope } });
      this.local.approvals.set(tool_use_id, approved ? (scope === "session" ? "approved_session" : "approved") : "denied");
      this.scheduleRender();
    };
    const preview = tool_name === "Bash" && typeof tool_input["command"] === "string" ? `$ ${tool_input["command"]}` : prettyJson(tool_input);
    const outcome: Record<string, string> = { approved: "Approved", approved_session: `Approved for this session (${pattern})`, denied: "Denied", resolved: "Answered", answered: "Answered" };
    return h(
      "div",
      { class: `request-card ${item.state === "pending" ? "pending" : "settled"}`, "data-testid": "approval-card", "data-state": item.state },
      h("div", { class: "request-head" }, h("span", { class: "request-icon", "aria-hidden": "true" }, "⚠"), h("strong", null, `Allow ${tool_name}?`), item.state !== "pending" ? h("span", { class: "muted small" }, outcome[item.state]) : null),
      h("pre", { class: "tool-pre" }, preview),
      item.state === "pending" && !this.ended
        ? h(
            "div",
            { class: "request-actions" },
            h("button", { class: "btn btn-primary btn-sm", type: "button", "data-testid": "approve-once", onclick: () => answer(true, "once") }, "Allow once"),
            pattern ? h("button", { class: "btn btn-sm", type: "button", "data-testid": "approve-session", title: `Adds ${pattern} to this session's allow list`, onclick: () => answer(true, "session") }, `Allow ${pattern} for session`) : null,
            h("button", { class: "btn btn-sm btn-danger", type: "button", "data-testid": "deny", onclick: () => answer(false, "once") }, "Deny"),
          )
        : null,
    );
  }

  private renderQuestion(item: Extract<Item, { kind: "question" }>): HTMLElement {
    const { question_id, questions } = item.payload;
    const draft = this.drafts.get(question_id) ?? {};
    this.drafts.set(question_id, draft);
    const pending = item.state === "pending" && !this.ended;
    const submit = h("button", { class: "btn btn-primary btn-sm", type: "submit", "data-testid": "answer-submit" }, "Send answer");
    const refresh = () => (submit.disabled = !questions.every((q) => (draft[q.question] ?? "").trim() !== ""));
    const renderOne = (q: Question, index: number) => {
      const name = `q-${question_id}-${index}`;
      const chosen = new Set((draft[q.question] ?? "").split(", ").filter(Boolean));
      const other = h("input", {
        type: "text",
        class: "other-input",
        placeholder: "Other answer…",
        "aria-label": "Other answer",
        disabled: !pending,
        oninput: (e: Event) => {
          const v = (e.target as HTMLInputElement).value;
          for (const input of Array.from(fieldset.querySelectorAll<HTMLInputElement>(`input[name="${name}"]`))) if (v) input.checked = false;
          draft[q.question] = v;
          refresh();
        },
      });
      const fieldset = h(
        "fieldset",
        { class: "question" },
        h("legend", null, q.header ? h("span", { class: "chip" }, q.header) : null, " ", q.question),
        ...q.options.map((o) =>
          h(
            "label",
            { class: "option" },
            h("input", {
              type: q.multiSelect ? "checkbox" : "radio",
              name,
              value: o.label,
              checked: chosen.has(o.label),
              disabled: !pending,
              "data-testid": "question-option",
              onchange: () => {
                const picked = Array.from(fieldset.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)).map((i) => i.value);
                draft[q.question] = picked.join(", ");
                other.value = "";
                refresh();
              },
            }),
            h("span", { class: "option-text" }, h("strong", null, o.label), o.description ? h("span", { class: "muted small" }, o.description) : null),
          ),
        ),
        pending ? other : null,
      );
      return fieldset;
    };
    const answered = item.answers ?? null;
    const form = h(
      "form",
      {
        class: `request-card question-card ${pending ? "pending" : "settled"}`,
        "data-testid": "question-card",
        "data-state": item.state,
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
          const answers: Record<string, string> = {};
          for (const q of questions) answers[q.question] = (draft[q.question] ?? "").trim();
          if (Object.values(answers).some((a) => !a)) return;
          this.send({ type: "ask_user_question_response", payload: { question_id, answers } });
          this.local.questions.set(question_id, answers);
          this.scheduleRender();
        },
      },
      h("div", { class: "request-head" }, h("span", { class: "request-icon", "aria-hidden": "true" }, "?"), h("strong", null, questions.length === 1 ? "The agent asks" : `The agent asks ${questions.length} questions`), !pending ? h("span", { class: "muted small" }, "Answered") : null),
      pending ? questions.map(renderOne) : questions.map((q) => h("div", { class: "question answered" }, h("div", null, q.question), answered?.[q.question] ? h("div", { class: "answer" }, "→ ", answered[q.question]!) : null)),
      pending ? h("div", { class: "request-actions" }, submit) : null,
    );
    refresh();
    return form;
  }

  private scrollToKey(key: string): void {
    const entry = this.rendered.get(key);
    if (!entry) return;
    entry.el.scrollIntoView({ behavior: "smooth", block: "center" });
    entry.el.classList.remove("flash");
    void entry.el.offsetWidth;
    entry.el.classList.add("flash");
    const focusable = entry.el.querySelector<HTMLElement>("button, input");
    focusable?.focus({ preventScroll: true });
  }

  // ------------------------------------------------------------------------------------------
  // Session actions

  private async terminate(): Promise<void> {
    if (!confirm("Terminate this session? The agent stops and the sandbox is removed; the conversation stays readable.")) return;
    try {
      await this.app.api.terminateSession(this.sessionId);
      toast("Session terminated");
      void this.refreshRecord();
    } catch (error) {
      toast((error as Error).message, "error");
    }
  }

  private async deleteRecord(): Promise<void> {
    if (!confirm("Delete this session's record and its conversation for good?")) return;
    try {
      await this.app.api.deleteSessionRecord(this.sessionId);
      this.app.store.remove(this.sessionId);
      toast("Session deleted");
      this.app.navigate("/");
    } catch (error) {
      toast((error as Error).message, "error");
    }
  }

  private async uploadSelected(): Promise<void> {
    const file = this.fileInput.files?.[0];
    this.fileInput.value = "";
    if (!file) return;
    if (file.size > 100 * 1024 * 1024) return toast("Files are limited to 100 MB.", "error");
    const note = h("div", { class: "notice notice-info", "data-testid": "upload-progress" }, `Uploading ${file.name}…`);
    this.banner.after(note);
    try {
      const ticket = await this.app.api.requestUpload(this.sessionId, { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size });
      const put = await fetch(ticket.upload_url, { method: "PUT", headers: { "content-type": file.type || "application/octet-stream" }, body: file });
      if (!put.ok) throw new Error(`upload failed (${put.status})`);
      const done = await this.app.api.completeUpload(this.sessionId, ticket.upload_id);
      const path = done.path || ticket.target_path;
      toast(`Uploaded to ${path}`);
      // Offer the path to the next message.
      this.input.value = `${this.input.value}${this.input.value && !this.input.value.endsWith(" ") ? " " : ""}${path}`;
      this.autosize();
      this.input.focus();
    } catch (error) {
      toast(`Upload failed: ${(error as Error).message}`, "error");
    } finally {
      note.remove();
    }
  }

  private askDownload(): void {
    const path = prompt("Path of the file to download (inside the workspace):", "/workspace/");
    if (path && path.trim() && path.trim() !== "/workspace/") void this.download(path.trim());
  }

  /**
   * A path as the download route takes it: inside /workspace, or relative to it. The agent may
   * name files by its own absolute path (a local sandbox's workspace is `<root>/<session id>/workspace`).
   */
  private workspacePath(path: string): string {
    if (path === "/workspace" || path.startsWith("/workspace/")) return path;
    const marker = `/${this.sessionId}/workspace/`;
    const at = path.indexOf(marker);
    return at === -1 ? path : path.slice(at + marker.length);
  }

  private async download(path: string): Promise<void> {
    try {
      const { download_url } = await this.app.api.requestDownload(this.sessionId, this.workspacePath(path));
      const a = h("a", { href: download_url, download: path.split("/").pop() || "download", class: "hidden" });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (error) {
      toast(`Download failed: ${(error as Error).message}`, "error");
    }
  }
}
