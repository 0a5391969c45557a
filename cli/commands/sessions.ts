/** `sessions ...`: list, inspect, create and end sessions over REST. */
import { PermissionMode } from "../../schemas/permissions.ts";
import { SessionStatus } from "../../schemas/events.ts";
import type { Session, SessionSummary, StoredEnvelope } from "../../sdk/index.ts";
import { expectPositionals, intOption, stringOption, UsageError, type ParsedCommand } from "../args.ts";
import type { Command } from "../command.ts";
import { formatCost, renderEvent } from "../chat/render.ts";
import { permissionModeDescription, permissionModeName } from "../../client-core/permission-modes.ts";
import { shortTime, table } from "../table.ts";

/** The session state as one word, with `!` when it waits for the user and `(dormant)` when asleep. */
export function stateLabel(session: Pick<SessionSummary, "ui_state" | "needs_attention" | "dormant">): string {
  return `${session.ui_state}${session.needs_attention ? "!" : ""}${session.dormant ? " (dormant)" : ""}`;
}

/** `--status`, checked against the API's enum. */
function statusOption(values: ParsedCommand["values"]) {
  const raw = stringOption(values, "status");
  if (raw === undefined) return undefined;
  const parsed = SessionStatus.safeParse(raw);
  if (!parsed.success) throw new UsageError(`--status must be one of ${SessionStatus.options.join(", ")}`);
  return parsed.data;
}

const list: Command = {
  path: ["sessions", "list"],
  args: "[--status starting|running|ended] [--limit N] [--all]",
  summary: "List your sessions, newest first (one page, or every page with --all).",
  options: { status: { type: "string" }, limit: { type: "string" }, all: { type: "boolean" } },
  json: true,
  async run(ctx, { values, positionals }) {
    expectPositionals(positionals, []);
    const query = { status: statusOption(values), limit: intOption(values, "limit", 1) };
    let page: { sessions: SessionSummary[]; next_cursor: string | null };
    if (values.all) {
      const sessions: SessionSummary[] = [];
      for await (const session of ctx.client.sessions.all(query)) sessions.push(session);
      page = { sessions, next_cursor: null };
    } else {
      page = await ctx.client.sessions.list(query);
    }
    ctx.out.result(page, () => {
      if (page.sessions.length === 0) return "No sessions.";
      const rows = page.sessions.map((s) => [s.id, stateLabel(s), shortTime(s.created_at), s.end_reason ?? "", s.name ?? ""]);
      const more = page.next_cursor ? "\n(more: use --all)" : "";
      return table(["ID", "STATE", "CREATED", "END", "NAME"], rows) + more;
    });
  },
};

/** A session record as a few readable lines. */
function describeSession(s: Session): string {
  const lines = [
    `id:          ${s.id}${s.name ? `  (${s.name})` : ""}`,
    `state:       ${s.status} · ${stateLabel(s)}`,
    `created:     ${s.created_at}${s.started_at ? ` · started ${s.started_at}` : ""}`,
    `mode:        ${permissionModeName(s.profile.permission_mode)} (${permissionModeDescription(s.profile.permission_mode)})${s.profile.model ? ` · model ${s.profile.model}` : ""}`,
    `allowed:     ${s.profile.allowed_tools.join(", ") || "-"}`,
    `usage:       ${s.usage.turns} turns · ${s.usage.input_tokens} in / ${s.usage.output_tokens} out tokens · ${formatCost(s.usage.cost_usd)}${s.usage.simulated ? " (simulated: the offline demo's model invents tokens and costs)" : ""} · ${Math.round(s.usage.runtime_seconds)} s`,
  ];
  if (s.terminated_at) lines.push(`ended:       ${s.terminated_at} · ${s.end_reason ?? "?"}${s.end_detail ? ` (${s.end_detail})` : ""}`);
  if (s.error_message) lines.push(`error:       ${s.error_message}`);
  return lines.join("\n");
}

const get: Command = {
  path: ["sessions", "get"],
  args: "<id>",
  summary: "Show a session's full record.",
  json: true,
  async run(ctx, { positionals }) {
    const [id] = expectPositionals(positionals, ["id"]);
    const session = await ctx.client.sessions.get(id!);
    ctx.out.result(session, () => describeSession(session));
  },
};

const history: Command = {
  path: ["sessions", "history"],
  args: "<id> [--after-seq N] [--limit N]",
  summary: "Print a session's stored events (every page; --limit caps the count).",
  options: { "after-seq": { type: "string" }, limit: { type: "string" } },
  json: true,
  async run(ctx, { values, positionals }) {
    const [id] = expectPositionals(positionals, ["id"]);
    const afterSeq = intOption(values, "after-seq", 0) ?? 0;
    const limit = intOption(values, "limit", 1);
    const messages: StoredEnvelope[] = [];
    for await (const message of ctx.client.sessions.historyAll(id!, { afterSeq })) {
      messages.push(message);
      if (limit !== undefined && messages.length >= limit) break;
    }
    ctx.out.result(
      { messages, next_after_seq: messages.at(-1)?.seq ?? afterSeq },
      () =>
        messages
          .map((m) => {
            const line = renderEvent(m, ctx.style);
            return line === null ? null : `${ctx.style.dim(String(m.seq).padStart(4))} ${line}`;
          })
          .filter((line) => line !== null)
          .join("\n") || "No events.",
    );
  },
};

const terminate: Command = {
  path: ["sessions", "terminate"],
  args: "<id>",
  summary: "End a session (end reason user_requested).",
  json: true,
  async run(ctx, { positionals }) {
    const [id] = expectPositionals(positionals, ["id"]);
    const answer = await ctx.client.sessions.terminate(id!);
    ctx.out.result(answer, () => `Session ${id} terminated.`);
  },
};

const remove: Command = {
  path: ["sessions", "delete"],
  args: "<id>",
  summary: "Delete an ended session's record, events and archive.",
  json: true,
  async run(ctx, { positionals }) {
    const [id] = expectPositionals(positionals, ["id"]);
    const answer = await ctx.client.sessions.deleteRecord(id!);
    ctx.out.result(answer, () => `Session ${id} deleted.`);
  },
};

/** Session options shared by `sessions create` and `chat`. */
export const SESSION_OPTIONS = {
  profile: { type: "string" },
  mode: { type: "string" },
  name: { type: "string" },
  model: { type: "string" },
} as const;

/** The create body from {@link SESSION_OPTIONS}. */
export function sessionBody(values: ParsedCommand["values"]) {
  const mode = stringOption(values, "mode");
  const parsedMode = mode === undefined ? undefined : PermissionMode.safeParse(mode);
  if (parsedMode && !parsedMode.success) throw new UsageError(`--mode must be one of ${PermissionMode.options.join(", ")}`);
  const body: Record<string, string> = {};
  const profile = stringOption(values, "profile");
  const name = stringOption(values, "name");
  const model = stringOption(values, "model");
  if (profile) body.profile_id = profile;
  if (name) body.name = name;
  if (model) body.model = model;
  if (parsedMode?.success) body.permission_mode = parsedMode.data;
  return body;
}

const create: Command = {
  path: ["sessions", "create"],
  args: "[--profile ID] [--mode acceptEdits|plan|bypassPermissions] [--name N] [--model M] [--prompt TEXT]",
  summary: "Create a session (from your default profile unless --profile).",
  options: { ...SESSION_OPTIONS, prompt: { type: "string" } },
  json: true,
  async run(ctx, { values, positionals }) {
    expectPositionals(positionals, []);
    const prompt = stringOption(values, "prompt");
    const session = await ctx.client.sessions.create({ ...sessionBody(values), ...(prompt ? { initial_prompt: prompt } : {}) });
    ctx.out.result({ session }, () => `Session ${session.id} created (${permissionModeName(session.profile.permission_mode)}).`);
  },
};

/** The `sessions` commands. */
export const sessionCommands: Command[] = [list, get, history, terminate, remove, create];
