// The server → client event vocabulary of the session WebSocket (docs/api.md §5).
// Imports only other wire schemas: every part (Worker, DOs, runner, SDK, UI) reads it.
import { z } from "zod";
import { FileErrorCode } from "./files.ts";

/** A content block of an assistant or user message (text, thinking, tool_use, image, ...); unknown kinds pass through. */
export const ContentBlock = z.looseObject({ type: z.string() });
export type ContentBlock = z.infer<typeof ContentBlock>;

/** `assistant`: the model's text/thinking blocks of one message (tool calls travel as `tool_use`). */
export const AssistantPayload = z.object({
  content: z.array(ContentBlock),
  model: z.string(),
});
export type AssistantPayload = z.infer<typeof AssistantPayload>;

/** `tool_use`: the agent calls a tool. */
export const ToolUsePayload = z.object({
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
});
export type ToolUsePayload = z.infer<typeof ToolUsePayload>;

/** `tool_result`: what a tool answered; `content` is flattened to text when it was only text blocks. */
export const ToolResultPayload = z.object({
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(ContentBlock)]),
  is_error: z.boolean(),
});
export type ToolResultPayload = z.infer<typeof ToolResultPayload>;

/** `user`: a user turn as stored in the session log (the prompt text or content blocks). */
export const UserPayload = z.object({
  content: z.union([z.string(), z.array(ContentBlock)]),
});
export type UserPayload = z.infer<typeof UserPayload>;

/** `system`: a notice (`init`, `message_queued`, ...); extra fields such as `model` or `tools` pass through. */
export const SystemPayload = z.looseObject({
  subtype: z.string(),
  message: z.string(),
});
export type SystemPayload = z.infer<typeof SystemPayload>;

/**
 * `result`: the end of one agent turn. `total_cost_usd` is Claude Code's own estimate over its
 * process (it restarts at every resume); `session_cost_usd` is the session's cost as the platform
 * metered it when the turn ended, the figure `usage.cost_usd` of the session record gives, and
 * the one clients show (`cost_simulated`: invented by a simulated model). Both are set by the
 * session as it stores the event; absent in events stored before they existed.
 */
export const ResultPayload = z.object({
  success: z.boolean(),
  subtype: z.string(),
  summary: z.string(),
  num_turns: z.number().int().nonnegative(),
  total_cost_usd: z.number().nonnegative(),
  usage: z.record(z.string(), z.unknown()),
  session_cost_usd: z.number().nonnegative().optional(),
  cost_simulated: z.boolean().optional(),
});
export type ResultPayload = z.infer<typeof ResultPayload>;

/** Wire-compatible lifecycle status of a session. */
export const SessionStatus = z.enum(["starting", "running", "ended"]);
export type SessionStatus = z.infer<typeof SessionStatus>;

/** What a UI shows: working, waiting for the user (idle, dormant or blocked), or ended. */
export const UiState = z.enum(["Running", "Waiting", "Ended"]);
export type UiState = z.infer<typeof UiState>;

/** `session_status`: the session's state changed. */
export const SessionStatusPayload = z.object({
  status: SessionStatus,
  ui_state: UiState,
  needs_attention: z.boolean(),
  dormant: z.boolean(),
});
export type SessionStatusPayload = z.infer<typeof SessionStatusPayload>;

/** Why a session ended (docs/api.md §4, each produced by its real trigger). */
export const EndReason = z.enum([
  "completed",
  "failed",
  "job_completed",
  "user_requested",
  "org_api_requested",
  "max_duration_exceeded",
  "startup_timeout",
  "heartbeat_stale",
]);
export type EndReason = z.infer<typeof EndReason>;

/**
 * `session_end`: the session ended; `detail` says more (e.g. which limit was reached),
 * `exit_code` is the runner process's (null when it has none; events stored before the field
 * existed read as null).
 */
export const SessionEndPayload = z.object({
  reason: EndReason,
  detail: z.string().nullable(),
  exit_code: z.int().nullable().default(null),
});
export type SessionEndPayload = z.infer<typeof SessionEndPayload>;

/** `session_error`: why the session failed, stored just before a `failed` end (the product's docs' shape). */
export const SessionErrorPayload = z.object({
  error: z.string(),
  details: z.string().nullable(),
});
export type SessionErrorPayload = z.infer<typeof SessionErrorPayload>;

/** Machine codes of the WebSocket `error` event: the session's own, and the file transfers' (schemas/files.ts). */
export const WsErrorCode = z.union([
  z.enum(["session_not_found", "session_not_running", "session_crashed", "invalid_message", "rate_limited", "message_too_large"]),
  FileErrorCode,
]);
export type WsErrorCode = z.infer<typeof WsErrorCode>;

/** `error`: a reply to one client (not stored). */
export const ErrorPayload = z.object({
  code: WsErrorCode,
  message: z.string(),
  /** Set when the error answers a frame that carried a `request_id` (the file frames). */
  request_id: z.string().optional(),
});
export type ErrorPayload = z.infer<typeof ErrorPayload>;

/** `tool_approval_request`: the agent waits for the user to approve a tool call. */
export const ToolApprovalRequestPayload = z.object({
  tool_use_id: z.string(),
  tool_name: z.string(),
  tool_input: z.record(z.string(), z.unknown()),
  /**
   * Exactly the patterns an approval with `approval_scope: "session"` adds to the session's allow
   * list (one `Bash(<command>:*)` per stage of a command line, the tool's name otherwise); empty
   * when the call cannot be covered by patterns, and a session approval then approves it once.
   * Optional only for events stored before it existed.
   */
  session_patterns: z.array(z.string()).optional(),
});
export type ToolApprovalRequestPayload = z.infer<typeof ToolApprovalRequestPayload>;

/** One option of a question the agent asks. */
export const QuestionOption = z.object({
  label: z.string(),
  description: z.string(),
});
export type QuestionOption = z.infer<typeof QuestionOption>;

/** One question of an `ask_user_question` event (the AskUserQuestion tool's input shape). */
export const Question = z.object({
  question: z.string(),
  header: z.string(),
  options: z.array(QuestionOption),
  multiSelect: z.boolean().optional(),
});
export type Question = z.infer<typeof Question>;

/** `ask_user_question`: the agent waits for the user to answer questions. */
export const AskUserQuestionPayload = z.object({
  question_id: z.string(),
  questions: z.array(Question),
});
export type AskUserQuestionPayload = z.infer<typeof AskUserQuestionPayload>;

/** `upload_url`: a signed URL answering one client's `upload_request` (not stored). */
export const UploadUrlPayload = z.looseObject({
  request_id: z.string(),
  upload_url: z.string(),
  upload_id: z.string(),
  target_path: z.string(),
  expires_at: z.string(),
});
export type UploadUrlPayload = z.infer<typeof UploadUrlPayload>;

/** `download_url`: a signed URL answering one client's `download_request` (not stored). */
export const DownloadUrlPayload = z.looseObject({
  request_id: z.string(),
  download_url: z.string(),
  expires_at: z.string(),
});
export type DownloadUrlPayload = z.infer<typeof DownloadUrlPayload>;

/**
 * `usage_delta`: tokens and cost added since the previous delta; more counters may follow.
 * `total_cost_usd` is the session's cost after it (the record's `usage.cost_usd`), `simulated`
 * whether the model is simulated (both absent in events stored before they existed).
 */
export const UsageDeltaPayload = z.looseObject({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cost_usd: z.number().nonnegative(),
  total_cost_usd: z.number().nonnegative().optional(),
  simulated: z.boolean().optional(),
});
export type UsageDeltaPayload = z.infer<typeof UsageDeltaPayload>;

// One `{type, payload}` object schema per event type, so unions below can be assembled from them.
const assistantBody = z.object({ type: z.literal("assistant"), payload: AssistantPayload });
const toolUseBody = z.object({ type: z.literal("tool_use"), payload: ToolUsePayload });
const toolResultBody = z.object({ type: z.literal("tool_result"), payload: ToolResultPayload });
const userBody = z.object({ type: z.literal("user"), payload: UserPayload });
const systemBody = z.object({ type: z.literal("system"), payload: SystemPayload });
const resultBody = z.object({ type: z.literal("result"), payload: ResultPayload });
const sessionStatusBody = z.object({ type: z.literal("session_status"), payload: SessionStatusPayload });
const sessionEndBody = z.object({ type: z.literal("session_end"), payload: SessionEndPayload });
const sessionErrorBody = z.object({ type: z.literal("session_error"), payload: SessionErrorPayload });
const errorBody = z.object({ type: z.literal("error"), payload: ErrorPayload });
const toolApprovalRequestBody = z.object({
  type: z.literal("tool_approval_request"),
  payload: ToolApprovalRequestPayload,
});
const askUserQuestionBody = z.object({ type: z.literal("ask_user_question"), payload: AskUserQuestionPayload });
const uploadUrlBody = z.object({ type: z.literal("upload_url"), payload: UploadUrlPayload });
const downloadUrlBody = z.object({ type: z.literal("download_url"), payload: DownloadUrlPayload });
const usageDeltaBody = z.object({ type: z.literal("usage_delta"), payload: UsageDeltaPayload });

/** Events the agent itself produces: the only ones a runner may push (it cannot forge lifecycle events). */
export const AgentEventBody = z.discriminatedUnion("type", [assistantBody, toolUseBody, toolResultBody, userBody, systemBody, resultBody]);
export type AgentEventBody = z.infer<typeof AgentEventBody>;

/** Events that are stored in a session's log and carry a `seq`. */
export const StoredEventBody = z.discriminatedUnion("type", [
  assistantBody,
  toolUseBody,
  toolResultBody,
  userBody,
  systemBody,
  resultBody,
  sessionStatusBody,
  sessionErrorBody,
  sessionEndBody,
  toolApprovalRequestBody,
  askUserQuestionBody,
  usageDeltaBody,
]);
export type StoredEventBody = z.infer<typeof StoredEventBody>;

/** Envelope fields around every server frame; `seq` is null for replies to one client. */
export const EnvelopeMeta = z.object({
  timestamp: z.iso.datetime(),
  session_id: z.string(),
  seq: z.number().int().nonnegative().nullable(),
});
export type EnvelopeMeta = z.infer<typeof EnvelopeMeta>;

/** A stored event as `history` and `/history` return it (always has a seq). */
export const StoredEnvelope = z.intersection(StoredEventBody, EnvelopeMeta.extend({ seq: z.number().int().nonnegative() }));
export type StoredEnvelope = z.infer<typeof StoredEnvelope>;

/** `history`: the stored events sent to a client that connected without `after_seq` (not stored). */
export const HistoryPayload = z.object({
  messages: z.array(StoredEnvelope),
});
export type HistoryPayload = z.infer<typeof HistoryPayload>;

const historyBody = z.object({ type: z.literal("history"), payload: HistoryPayload });

/** Every server → client event as `{type, payload}`. */
export const ServerEventBody = z.discriminatedUnion("type", [
  assistantBody,
  toolUseBody,
  toolResultBody,
  userBody,
  systemBody,
  resultBody,
  sessionStatusBody,
  sessionErrorBody,
  sessionEndBody,
  errorBody,
  historyBody,
  toolApprovalRequestBody,
  askUserQuestionBody,
  uploadUrlBody,
  downloadUrlBody,
  usageDeltaBody,
]);
export type ServerEventBody = z.infer<typeof ServerEventBody>;

/** Server event type names. */
export type ServerEventType = ServerEventBody["type"];

/** The frame a client receives: `{type, timestamp, session_id, seq, payload}`. */
export const ServerEnvelope = z.intersection(ServerEventBody, EnvelopeMeta);
export type ServerEnvelope = z.infer<typeof ServerEnvelope>;
