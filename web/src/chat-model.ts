/**
 * The conversation of one session as a list of display items, derived from its stored events
 * (in seq order) plus this client's own answers. Pure (no DOM): the chat view renders the
 * items by key and re-renders one only when its `sig` changes.
 *
 * Pending requests: an approval or question is pending from its event until it is answered
 * here, until its tool's result arrives, until a `session_status` says nothing needs attention
 * any more (the server's `needs_attention` is "some request is unanswered"), or the session ends.
 */
import type {
  AskUserQuestionPayload,
  ContentBlock,
  SessionStatusPayload,
  StoredEnvelope,
  ToolApprovalRequestPayload,
} from "../../schemas/events.ts";

export type RequestState = "pending" | "approved" | "approved_session" | "denied" | "answered" | "resolved";

export type Item =
  | { kind: "user"; key: string; seq: number; sig: string; text: string; time: string }
  | { kind: "assistant"; key: string; seq: number; sig: string; blocks: ContentBlock[]; time: string }
  | {
      kind: "tool";
      key: string;
      seq: number;
      sig: string;
      id: string;
      name: string;
      input: Record<string, unknown>;
      result: { content: string | ContentBlock[]; is_error: boolean } | null;
      waiting: boolean;
    }
  | { kind: "approval"; key: string; seq: number; sig: string; payload: ToolApprovalRequestPayload; state: RequestState }
  | {
      kind: "question";
      key: string;
      seq: number;
      sig: string;
      payload: AskUserQuestionPayload;
      state: RequestState;
      answers: Record<string, string> | null;
    }
  | {
      kind: "notice";
      key: string;
      seq: number;
      sig: string;
      subtype: string;
      text: string;
      tone: "muted" | "info" | "warn" | "error";
      jump: string | null;
    }
  | {
      kind: "result";
      key: string;
      seq: number;
      sig: string;
      success: boolean;
      subtype: string;
      summary: string;
      turns: number;
      /** The session's metered cost when the turn ended (null in events stored before the session stamped it). */
      cost: number | null;
      simulated: boolean;
    }
  | { kind: "end"; key: string; seq: number; sig: string; reason: string; detail: string | null };

/** What this client answered (kept until the page reloads; the server has the truth). */
export interface LocalAnswers {
  approvals: Map<string, "approved" | "approved_session" | "denied">;
  questions: Map<string, Record<string, string>>;
}

export interface Derived {
  items: Item[];
  status: SessionStatusPayload | null;
  /** Key of the oldest request still pending (the "message queued" button scrolls to it). */
  firstPending: string | null;
  /** The session's cost as the platform metered it (the record's `usage.cost_usd`), after the newest event that says. */
  costUsd: number;
  /** Whether the events say the model is simulated (the offline demo): its costs are invented. */
  simulated: boolean;
  running: boolean;
}

/** Text of a user event's content. */
export function userText(content: string | ContentBlock[]): string {
  if (typeof content === "string") return content;
  return content
    .map((b) => (b.type === "text" && typeof b["text"] === "string" ? (b["text"] as string) : ""))
    .filter(Boolean)
    .join("\n");
}

/** Derives the display items from events in seq order. */
export function derive(events: readonly StoredEnvelope[], local: LocalAnswers): Derived {
  const items: Item[] = [];
  const tools = new Map<string, Extract<Item, { kind: "tool" }>>();
  const pending = new Map<string, Extract<Item, { kind: "approval" | "question" }>>();
  let status: SessionStatusPayload | null = null;
  let costUsd = 0;
  let simulated = false;
  const queued: Extract<Item, { kind: "notice" }>[] = [];
  const seenModels = new Set<string>();

  const settle = (item: Extract<Item, { kind: "approval" | "question" }>, state: RequestState) => {
    item.state = state;
    pending.delete(item.key);
    if (item.kind === "approval") {
      const tool = tools.get(item.payload.tool_use_id);
      if (tool) tool.waiting = false;
    }
  };

  for (const e of events) {
    switch (e.type) {
      case "user":
        items.push({ kind: "user", key: `s${e.seq}`, seq: e.seq, sig: "", text: userText(e.payload.content), time: e.timestamp });
        break;
      case "assistant":
        items.push({ kind: "assistant", key: `s${e.seq}`, seq: e.seq, sig: "", blocks: e.payload.content, time: e.timestamp });
        break;
      case "tool_use": {
        const item: Extract<Item, { kind: "tool" }> = {
          kind: "tool",
          key: `tool:${e.payload.id}`,
          seq: e.seq,
          sig: "",
          id: e.payload.id,
          name: e.payload.name,
          input: e.payload.input,
          result: null,
          waiting: false,
        };
        if (tools.has(e.payload.id)) break; // the same call reported twice
        tools.set(e.payload.id, item);
        items.push(item);
        break;
      }
      case "tool_result": {
        const tool = tools.get(e.payload.tool_use_id);
        if (tool) {
          tool.result = { content: e.payload.content, is_error: e.payload.is_error };
          tool.waiting = false;
        } else {
          items.push({
            kind: "tool",
            key: `tool:${e.payload.tool_use_id}`,
            seq: e.seq,
            sig: "",
            id: e.payload.tool_use_id,
            name: "tool",
            input: {},
            result: { content: e.payload.content, is_error: e.payload.is_error },
            waiting: false,
          });
        }
        const approval = pending.get(`approval:${e.payload.tool_use_id}`);
        // A tool that ran was approved; one that failed may have been denied or have failed.
        if (approval) settle(approval, e.payload.is_error ? "resolved" : "approved");
        break;
      }
      case "tool_approval_request": {
        const key = `approval:${e.payload.tool_use_id}`;
        const item: Extract<Item, { kind: "approval" }> = {
          kind: "approval",
          key,
          seq: e.seq,
          sig: "",
          payload: e.payload,
          state: "pending",
        };
        items.push(item);
        pending.set(key, item);
        const tool = tools.get(e.payload.tool_use_id);
        if (tool && !tool.result) tool.waiting = true;
        break;
      }
      case "ask_user_question": {
        const key = `question:${e.payload.question_id}`;
        const item: Extract<Item, { kind: "question" }> = {
          kind: "question",
          key,
          seq: e.seq,
          sig: "",
          payload: e.payload,
          state: "pending",
          answers: null,
        };
        items.push(item);
        pending.set(key, item);
        break;
      }
      case "system": {
        const p = e.payload;
        if (p.subtype === "message_queued") {
          const notice: Extract<Item, { kind: "notice" }> = {
            kind: "notice",
            key: `s${e.seq}`,
            seq: e.seq,
            sig: "",
            subtype: p.subtype,
            text: p.message || "Message queued: it runs when the agent is free.",
            tone: "info",
            jump: null,
          };
          queued.push(notice);
          items.push(notice);
        } else if (p.subtype === "init") {
          // Claude Code announces itself at every turn; show it when it first starts or the model changes.
          const model = typeof p["model"] === "string" ? p["model"] : "";
          if (p["model_simulated"] === true) simulated = true;
          if (seenModels.has(model)) break;
          seenModels.add(model);
          items.push({
            kind: "notice",
            key: `s${e.seq}`,
            seq: e.seq,
            sig: "",
            subtype: p.subtype,
            text: `${p.message || "Agent started"}${p["model_simulated"] === true ? " · simulated model (offline demo): answers and costs are invented" : ""}`,
            tone: "muted",
            jump: null,
          });
        } else {
          items.push({
            kind: "notice",
            key: `s${e.seq}`,
            seq: e.seq,
            sig: "",
            subtype: p.subtype,
            text: p.message || p.subtype.replaceAll("_", " "),
            tone: p.subtype === "agent_exited" ? "warn" : "muted",
            jump: null,
          });
        }
        break;
      }
      case "result":
        items.push({
          kind: "result",
          key: `s${e.seq}`,
          seq: e.seq,
          sig: "",
          success: e.payload.success,
          subtype: e.payload.subtype,
          summary: e.payload.summary,
          turns: e.payload.num_turns,
          cost: e.payload.session_cost_usd ?? null,
          simulated: e.payload.cost_simulated ?? false,
        });
        // The session's figure, not Claude Code's own estimate (which events stored before it existed lack).
        if (e.payload.session_cost_usd !== undefined) costUsd = e.payload.session_cost_usd;
        if (e.payload.cost_simulated) simulated = true;
        for (const tool of tools.values()) tool.waiting = false;
        break;
      case "session_status":
        status = e.payload;
        if (!e.payload.needs_attention) for (const item of [...pending.values()]) settle(item, "resolved");
        break;
      case "session_end":
        for (const item of [...pending.values()]) settle(item, "resolved");
        items.push({ kind: "end", key: `s${e.seq}`, seq: e.seq, sig: "", reason: e.payload.reason, detail: e.payload.detail });
        break;
      case "usage_delta":
        // The running total when the event carries it; a sum of the deltas for events stored before.
        costUsd = e.payload.total_cost_usd ?? costUsd + e.payload.cost_usd;
        if (e.payload.simulated) simulated = true;
        break;
    }
  }

  // This client's own answers settle requests the server has not reported on yet.
  for (const item of [...pending.values()]) {
    if (item.kind === "approval") {
      const answer = local.approvals.get(item.payload.tool_use_id);
      if (answer) settle(item, answer);
    } else {
      const answers = local.questions.get(item.payload.question_id);
      if (answers) {
        item.answers = answers;
        settle(item, "answered");
      }
    }
  }
  for (const item of items) {
    if (item.kind === "question" && !item.answers) item.answers = local.questions.get(item.payload.question_id) ?? null;
    if (item.kind === "approval" && item.state !== "pending") {
      const answer = local.approvals.get(item.payload.tool_use_id);
      if (answer) item.state = answer;
    }
    if (item.kind === "question" && item.state === "resolved" && item.answers) item.state = "answered";
  }

  const firstPending = [...pending.values()].sort((a, b) => a.seq - b.seq)[0]?.key ?? null;
  for (const notice of queued) notice.jump = firstPending;

  for (const item of items) item.sig = signature(item);
  return { items, status, firstPending, costUsd, simulated, running: status?.ui_state === "Running" };
}

function signature(item: Item): string {
  switch (item.kind) {
    case "tool":
      return `${item.result ? (item.result.is_error ? "err" : "ok") : "run"}:${item.waiting}`;
    case "approval":
      return item.state;
    case "question":
      return `${item.state}:${JSON.stringify(item.answers)}`;
    case "notice":
      return `${item.jump ?? ""}`;
    default:
      return "";
  }
}
