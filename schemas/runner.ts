// The runner channel: one WebSocket between the runner (inside a sandbox) and its session's
// Durable Object, plus the small HTTP contract of the local sandbox host that starts runners.
// Imports nothing from the project except the event vocabulary.
import { z } from "zod";
import { AgentEventBody } from "./events.ts";

/** Path of the runner's WebSocket on the platform (auth: `Authorization: Bearer <runner token>`). */
export function runnerSocketPath(sessionId: string): string {
  return `/v1/runner/sessions/${encodeURIComponent(sessionId)}/ws`;
}

/** Default interval between runner heartbeats (env `HEARTBEAT_INTERVAL_MS`). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

/** Claude Code permission modes the platform uses (`default` asks the platform for every unlisted call). */
export const PermissionMode = z.enum(["default", "acceptEdits", "plan", "bypassPermissions"]);
export type PermissionMode = z.infer<typeof PermissionMode>;

/** An MCP server reached over HTTP. */
export const McpHttpServer = z.object({
  type: z.literal("http"),
  url: z.url(),
  headers: z.record(z.string(), z.string()).optional(),
});

/** An MCP server started as a child process inside the sandbox. */
export const McpStdioServer = z.object({
  type: z.literal("stdio"),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

/** One MCP server configuration, as Claude Code's `--mcp-config` takes it. */
export const McpServerConfig = z.discriminatedUnion("type", [McpHttpServer, McpStdioServer]);
export type McpServerConfig = z.infer<typeof McpServerConfig>;

/**
 * Claude Code's own session id (a UUID), the one value from the agent's side that reaches the
 * argv of a later Claude Code start (`--resume <id>`). Held to that shape wherever it crosses
 * the channel, so no reported value can become an option (`--settings=...`) or anything else.
 */
export const AgentSessionId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a Claude Code session id (a UUID)");

/** Effective agent settings the DO hands the runner (secrets already resolved). */
export const RunnerSettings = z.object({
  permission_mode: PermissionMode,
  allowed_tools: z.array(z.string()),
  disallowed_tools: z.array(z.string()),
  model: z.string().min(1).optional(),
  max_turns: z.number().int().min(1).optional(),
  max_budget_usd: z.number().positive().optional(),
  environment: z.record(z.string(), z.string()),
  mcp_servers: z.record(z.string(), McpServerConfig),
  resume_agent_session_id: AgentSessionId.optional(),
});
export type RunnerSettings = z.infer<typeof RunnerSettings>;

// ---------------------------------------------------------------------------------------------
// The turn queue: the contract between the DO and the runner, written once here.
//
// - The DO owns the queue (durable-objects/session/turn-queue.ts). Prompts clients send are
//   stored and queued there, and survive a runner restart or the sandbox being replaced.
// - The DO sends ONE `prompt` at a time: the next goes out only after the runner's
//   `turn_state` `idle` for the previous one (and while no tool approval or question waits).
//   That prompt stays "in flight" in the DO until then.
// - The runner is busy from the `prompt` it accepts until it sends `turn_state` `idle`. It says
//   `running` when a turn starts; the DO ignores an `idle` that arrives before the `running` for
//   the prompt in flight (the runner reports its state on every reconnect, possibly stale).
// - After a reconnect the DO re-sends the prompt in flight to the same runner process, which drops
//   it by `prompt_id` if it has seen it; a new runner process (`hello` with a new
//   `runner_instance`) gets it again as the head of the queue.
// - The runner may hold prompts of its own (one arriving while a turn runs, or before `configure`),
//   but only as a safety net for redelivery: the DO never relies on the runner queueing.
// - `ack` acknowledges stored agent events (cumulative `rseq`), never prompts: a prompt is
//   acknowledged by the turn it starts (`turn_state` `running`) and completed by `idle`.
// - `interrupt` stops the running turn only; queued prompts stay queued in the DO.

// ---------------------------------------------------------------------------------------------
// Runner → DO

/**
 * First frame after every (re)connect; `agent_session_id` is the Claude Code session the runner knows.
 * `runner_instance` is random per runner process: rseq restarts at 1 in a new process, so a DO that
 * sees a new instance must reset the rseq it deduplicates against.
 */
export const HelloFrame = z.object({
  type: z.literal("hello"),
  runner_version: z.string(),
  runner_instance: z.string().min(1).optional(),
  agent_session_id: AgentSessionId.optional(),
  /**
   * The runner fixes an `archive`'s snapshot before it reads its next frame (the conversation
   * copied aside in the same synchronous stretch that handles the frame, tool calls held until
   * tar has read the workspace), so the DO sends the next prompt right behind the `archive`
   * instead of waiting for `archive_packed`. Absent: an older runner, which gets it after.
   */
  snapshot_on_receipt: z.boolean().optional(),
});

/** One translated agent event. `rseq` grows by 1 per event for the runner's life; the DO ignores rseq it stored. */
export const EventFrame = z.object({
  type: z.literal("event"),
  rseq: z.number().int().min(1),
  event: AgentEventBody,
});

/** Most events one `events` frame may carry. */
export const MAX_EVENTS_PER_FRAME = 100;

/**
 * Several consecutive events in one frame. The runner batches events that are ready at the
 * same moment, so the DO stores them in one write: each frame costs one durable commit.
 */
export const EventBatchFrame = z.object({
  type: z.literal("events"),
  items: z.array(EventFrame).min(1).max(MAX_EVENTS_PER_FRAME),
});

/** Liveness signal, every `HEARTBEAT_INTERVAL_MS`. */
export const HeartbeatFrame = z.object({ type: z.literal("heartbeat") });

/**
 * Claude Code asks whether it may call a tool (`can_use_tool`); answered by `permission_response`.
 * Resent after every reconnect until answered or cancelled: handle it idempotently by `request_id`.
 */
export const PermissionRequestFrame = z.object({
  type: z.literal("permission_request"),
  request_id: z.string(),
  tool_name: z.string(),
  input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string().optional(),
  /** The workspace's absolute path as Claude Code sees it (`/workspace` when absent): where edits may be auto-approved. */
  workspace_dir: z.string().startsWith("/").max(4_096).optional(),
  /**
   * The real location (symbolic links followed) of each input path field (`file_path`, ...) that
   * differs from what the field says; "" when it cannot be resolved. The engine judges both.
   */
  resolved_paths: z.record(z.string(), z.string().max(4_096)).optional(),
});

/** Claude Code withdrew a pending `can_use_tool` (e.g. the turn was interrupted): no answer is needed any more. */
export const PermissionCancelledFrame = z.object({
  type: z.literal("permission_cancelled"),
  request_id: z.string(),
});

/** Claude Code's own session id (newest wins), kept by the DO for `--resume`. */
export const AgentSessionFrame = z.object({
  type: z.literal("agent_session"),
  agent_session_id: AgentSessionId,
});

/**
 * A turn started (`running`) or the agent waits for the next prompt (`idle`); the current state is
 * resent after every reconnect. `idle` is what frees the DO to send the next prompt (see "The turn
 * queue" above).
 */
export const TurnStateFrame = z.object({
  type: z.literal("turn_state"),
  state: z.enum(["running", "idle"]),
});

/** The Claude Code process died unexpectedly; the runner restarts it (`--resume`) on the next prompt. */
export const AgentExitedFrame = z.object({
  type: z.literal("agent_exited"),
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  error: z.string().optional(),
});

/** Why a file transfer failed, so the platform can answer the client with the right status. */
export const FileFailureReason = z.enum([
  "not_found",
  "not_a_file",
  "outside_workspace",
  "too_large",
  "size_mismatch",
  "http_error",
  "io_error",
]);
export type FileFailureReason = z.infer<typeof FileFailureReason>;

/**
 * The outcome of a `fetch_file` or `send_file`: `path` is relative to the workspace and `size`
 * the bytes moved, or `reason` and `error` say why nothing was. Resent after a reconnect until sent.
 */
export const FileResultFrame = z.discriminatedUnion("ok", [
  z.object({
    type: z.literal("file_result"),
    transfer_id: z.string().min(1),
    ok: z.literal(true),
    path: z.string().min(1),
    size: z.int().min(0),
  }),
  z.object({
    type: z.literal("file_result"),
    transfer_id: z.string().min(1),
    ok: z.literal(false),
    reason: FileFailureReason,
    error: z.string().max(2_000),
  }),
]);
export type FileResultFrame = z.infer<typeof FileResultFrame>;

/**
 * The outcome of an `archive` (the tar.gz was PUT; `size` its bytes) or a `restore` (it was
 * downloaded and extracted). Resent after a reconnect until sent.
 */
export const ArchiveResultFrame = z.discriminatedUnion("ok", [
  z.object({
    type: z.literal("archive_result"),
    transfer_id: z.string().min(1),
    op: z.enum(["archive", "restore"]),
    ok: z.literal(true),
    size: z.int().min(0),
  }),
  z.object({
    type: z.literal("archive_result"),
    transfer_id: z.string().min(1),
    op: z.enum(["archive", "restore"]),
    ok: z.literal(false),
    error: z.string().max(2_000),
  }),
]);
export type ArchiveResultFrame = z.infer<typeof ArchiveResultFrame>;

/**
 * An `archive`'s snapshot is as good as taken: the runner has copied the conversation aside, and
 * until its tar has read the workspace (in the background, after any earlier archive's) it holds
 * every tool call, so neither the conversation nor the workspace may change the archive from
 * here. A runner that says `snapshot_on_receipt` in its hello has done this before it reads the
 * frame after the `archive`, and the DO does not wait for this one; for a runner that does not,
 * the DO lets the next prompt go here. The tar.gz is then packed and uploaded (after any earlier
 * archive's: uploads of one runner go one at a time, in order); the archive counts only once its
 * `archive_result` says it is stored, and a tar that fails after this frame reports there. Sent
 * before that result, resent after a reconnect until sent; not sent when the copy failed.
 */
export const ArchivePackedFrame = z.object({
  type: z.literal("archive_packed"),
  transfer_id: z.string().min(1),
});
export type ArchivePackedFrame = z.infer<typeof ArchivePackedFrame>;

/** Every frame the runner sends. */
export const RunnerToPlatform = z.discriminatedUnion("type", [
  HelloFrame,
  EventFrame,
  EventBatchFrame,
  HeartbeatFrame,
  PermissionRequestFrame,
  PermissionCancelledFrame,
  AgentSessionFrame,
  TurnStateFrame,
  AgentExitedFrame,
  FileResultFrame,
  ArchivePackedFrame,
  ArchiveResultFrame,
]);
export type RunnerToPlatform = z.infer<typeof RunnerToPlatform>;

// ---------------------------------------------------------------------------------------------
// DO → runner

/** Answer to `hello`: the settings to (re)start Claude Code with when none is running. */
export const ConfigureFrame = z.object({
  type: z.literal("configure"),
  settings: RunnerSettings,
});

/**
 * Cumulative acknowledgement: every event with rseq ≤ this is stored, and the runner may forget it.
 * It acknowledges events only; prompts are never acked (see "The turn queue" above).
 */
export const AckFrame = z.object({
  type: z.literal("ack"),
  rseq: z.number().int().min(0),
});

/**
 * One user turn; `prompt_id` lets the runner drop a prompt delivered twice. The DO sends the next
 * one only after `turn_state` `idle` (see "The turn queue" above); one that still arrives during a
 * turn (a redelivery) waits in the runner.
 */
export const PromptFrame = z.object({
  type: z.literal("prompt"),
  prompt_id: z.string().min(1),
  text: z.string().min(1),
});

/** Stop the current turn; Claude Code stays alive for the next prompt, and the DO's queue is kept. */
export const InterruptFrame = z.object({ type: z.literal("interrupt") });

/** The decision on a `permission_request`. */
export const PermissionResponseFrame = z.object({
  type: z.literal("permission_response"),
  request_id: z.string(),
  behavior: z.enum(["allow", "deny"]),
  updated_input: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
});

/** Stop Claude Code and exit. */
export const ShutdownFrame = z.object({ type: z.literal("shutdown") });

/**
 * Download `url` (a signed GET) into the workspace at `path` (relative to it), atomically:
 * the file appears whole or not at all. `size` is the exact length to expect.
 */
export const FetchFileFrame = z.object({
  type: z.literal("fetch_file"),
  transfer_id: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  path: z.string().min(1).max(4_096),
  size: z.int().min(0),
});

/** Upload the workspace file at `path` (relative to it, never leaving it after symlinks) to `url` (a signed PUT). */
export const SendFileFrame = z.object({
  type: z.literal("send_file"),
  transfer_id: z.string().min(1),
  path: z.string().min(1).max(4_096),
  url: z.url({ protocol: /^https?$/ }),
});

/**
 * Hibernation or a turn's checkpoint: pack the workspace and Claude Code's conversation store for
 * it into one tar.gz and PUT it to `url` (a signed PUT); answered by `archive_packed` once the
 * snapshot is fixed (the conversation copied aside, tool calls held until tar has read the
 * workspace: before the next frame is read, by a runner that says `snapshot_on_receipt`), then
 * `archive_result` (op `archive`) once it is stored.
 */
export const ArchiveFrame = z.object({
  type: z.literal("archive"),
  transfer_id: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
});

/**
 * Waking up: download the archive at `url` (a signed GET of `size` bytes) and extract it into the
 * workspace and the conversation store, before `configure`; answered by `archive_result` (op `restore`).
 */
export const RestoreFrame = z.object({
  type: z.literal("restore"),
  transfer_id: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  size: z.int().min(0),
});

/** Every frame the DO sends to the runner. */
export const PlatformToRunner = z.discriminatedUnion("type", [
  ConfigureFrame,
  AckFrame,
  PromptFrame,
  InterruptFrame,
  PermissionResponseFrame,
  ShutdownFrame,
  FetchFileFrame,
  SendFileFrame,
  ArchiveFrame,
  RestoreFrame,
]);
export type PlatformToRunner = z.infer<typeof PlatformToRunner>;

// ---------------------------------------------------------------------------------------------
// Local sandbox host (development and tests): HTTP API that starts runners as child processes.

/** A session id usable as a path segment and a directory name. */
export const SandboxId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be URL-safe: A-Z a-z 0-9 _ -");

/** Environment variable names a sandbox accepts. */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "invalid environment variable name");

/** `POST /sandboxes` body: start (or return) the sandbox of one session. */
export const SandboxCreateRequest = z.strictObject({
  session_id: SandboxId,
  env: z.record(
    EnvName,
    z.string().refine((v) => !v.includes("\0"), "NUL in value"),
  ),
});
export type SandboxCreateRequest = z.infer<typeof SandboxCreateRequest>;

/** `POST /sandboxes` answer. */
export const SandboxCreated = z.object({
  session_id: z.string(),
  workspace_dir: z.string(),
  pid: z.number().int(),
  running: z.literal(true),
});
export type SandboxCreated = z.infer<typeof SandboxCreated>;

/** `GET /sandboxes/:id` answer. */
export const SandboxState = z.object({
  session_id: z.string(),
  running: z.boolean(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  workspace_dir: z.string(),
});
export type SandboxState = z.infer<typeof SandboxState>;
