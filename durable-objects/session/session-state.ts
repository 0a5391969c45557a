/**
 * The session's own state: lifecycle, effective settings, usage, runner bookkeeping.
 * One JSON row in the Durable Object's SQLite, rewritten on every change (it is small), so a
 * state change and the event announcing it commit together.
 */
import type { EndReason, SessionStatus, UiState } from "../../schemas/events.ts";
import type { Session, SessionUsage } from "../../schemas/session.ts";
import type { ArchiveRef, SessionInit } from "../../platform/contracts/session.ts";
import type { SessionIndexFields } from "../../platform/db/sessions.ts";
import { redactSecrets } from "../../platform/secrets/profile-secrets.ts";

/** A tool call or question waiting for a client's answer. */
export interface PendingRequest {
  requestId: string;
  kind: "approval" | "question";
  /** The id clients answer with: `tool_use_id` for approvals, `question_id` for questions. */
  answerId: string;
  toolName: string;
  input: Record<string, unknown>;
  askedAt: number;
  /** What a session-scope approval grants, exactly as sent in `tool_approval_request` (absent in state stored before it existed). */
  sessionPatterns?: string[];
}

/** A prompt accepted from a client, waiting for (or being processed by) the agent. */
export interface QueuedPrompt {
  id: string;
  text: string;
}

export interface SessionState {
  init: SessionInit;
  status: SessionStatus;
  uiState: UiState;
  needsAttention: boolean;
  dormant: boolean;
  createdAt: string;
  startedAt: string | null;
  terminatedAt: string | null;
  endReason: EndReason | null;
  endDetail: string | null;
  errorMessage: string | null;
  usage: Omit<SessionUsage, "runtime_seconds">;
  /** Patterns approved "for the session" (never written back to the profile). */
  sessionAllowedTools: string[];
  /** SHA-256 of the runner's channel token and of the model-gateway token, and their expiry. */
  runnerTokenHash: string | null;
  gatewayTokenHash: string | null;
  tokensExpireAt: number | null;
  /** The runner process we last heard from; rseq restarts with a new one. */
  runnerInstance: string | null;
  /**
   * Whether that runner fixes a checkpoint's snapshot on receipt (its hello's `snapshot_on_receipt`):
   * the next prompt then follows the `archive` at once (hibernation.ts `checkpoint`). Absent in
   * states stored before it existed, and for older runners.
   */
  runnerSnapshotsOnReceipt?: boolean;
  /** Highest runner event stored: replays at or below it are acknowledged and dropped. */
  lastRseq: number;
  lastHeartbeatAt: number | null;
  /** Claude Code's own session id, for `--resume`. */
  agentSessionId: string | null;
  queue: QueuedPrompt[];
  /** The prompt the agent is working on; kept until the turn ends so a runner reconnect can redeliver it. */
  inflight: QueuedPrompt | null;
  /** Whether the runner said a turn started since `inflight` was sent; an `idle` before that is stale. */
  inflightStarted: boolean;
  pending: PendingRequest[];
  /** When accepted prompts arrived (last minute only), for the per-session prompt rate. */
  promptTimes: number[];
  /** Set when the runner's socket closed: by then it must be back, or its exit is checked. */
  runnerCheckAt: number | null;
  /** Whether the agent has finished a turn since the session started (for `one_shot`). */
  turnsFinished: number;
  /** When the last event was stored (epoch ms): the idle-hibernation clock. Absent in states stored before it existed. */
  lastActivityAt?: number;
  /** A hibernation step under way (hibernation.ts); absent or null when none. */
  hibernation?: HibernationStep | null;
  /**
   * Checkpoints packed and still uploading (checkpoint-uploads.ts), oldest first: none of them is
   * the session's archive until its result says so. Absent in states stored before it existed.
   */
  uploads?: CheckpointUpload[];
  /** The newest workspace archive in R2, kept until the record is deleted. */
  archive?: ArchiveRef | null;
  /** Whether the session was dormant when it ended: its archive then holds the final workspace. */
  endedDormant?: boolean;
  /** The runner process's exit code, once it exited with one. */
  exitCode?: number | null;
}

/**
 * A step of hibernating or waking (hibernation.ts): `archiving` waits for the runner's archive,
 * `waking` for the restarted sandbox's hello, `restoring` for the archive to be unpacked.
 */
export interface HibernationStep {
  phase: "archiving" | "waking" | "restoring";
  transferId: string;
  since: number;
  /** An archive made at the end of a turn (hibernation.ts `checkpoint`): the session stays awake after it. */
  checkpoint?: boolean;
}

/** A checkpoint whose snapshot is taken and whose upload runs (checkpoint-uploads.ts). */
export interface CheckpointUpload {
  transferId: string;
}

/** Zero usage. */
export const NO_USAGE: SessionState["usage"] = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  cost_usd: 0,
  simulated: false,
  turns: 0,
};

/**
 * A fresh state for a session being created. A fork starts as a dormant session that is already
 * waking: its sandbox restores the copied archive on hello and resumes the source's conversation.
 */
export function initialState(init: SessionInit, now: Date): SessionState {
  const fork = init.forkOf ?? null;
  return {
    init,
    status: "starting",
    uiState: "Running",
    needsAttention: false,
    dormant: fork !== null,
    createdAt: now.toISOString(),
    startedAt: null,
    terminatedAt: null,
    endReason: null,
    endDetail: null,
    errorMessage: null,
    usage: { ...NO_USAGE },
    sessionAllowedTools: [],
    runnerTokenHash: null,
    gatewayTokenHash: null,
    tokensExpireAt: null,
    runnerInstance: null,
    lastRseq: 0,
    lastHeartbeatAt: null,
    agentSessionId: fork?.agentSessionId ?? null,
    queue: [],
    inflight: null,
    inflightStarted: false,
    pending: [],
    promptTimes: [],
    runnerCheckAt: null,
    turnsFinished: 0,
    lastActivityAt: now.getTime(),
    hibernation: null,
    archive: fork?.archive ?? null,
  };
}

/**
 * Persists and reloads the state row. The runner cursor (last rseq, last heartbeat) changes
 * with every runner frame, so it has its own columns and a cheap update; everything else is
 * rewritten as one JSON document when it changes.
 */
export class StateStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, last_rseq INTEGER NOT NULL DEFAULT 0, last_heartbeat_at INTEGER)`,
    );
  }

  load(): SessionState | null {
    const row = this.sql
      .exec<{ json: string; last_rseq: number; last_heartbeat_at: number | null }>(
        `SELECT json, last_rseq, last_heartbeat_at FROM state WHERE id = 1`,
      )
      .toArray()[0];
    if (!row) return null;
    return { ...(JSON.parse(row.json) as SessionState), lastRseq: row.last_rseq, lastHeartbeatAt: row.last_heartbeat_at };
  }

  save(state: SessionState): void {
    this.sql.exec(
      `INSERT INTO state (id, json, last_rseq, last_heartbeat_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET json = excluded.json, last_rseq = excluded.last_rseq, last_heartbeat_at = excluded.last_heartbeat_at`,
      JSON.stringify(state),
      state.lastRseq,
      state.lastHeartbeatAt,
    );
  }

  /** Saves only the runner cursor. */
  saveCursor(state: SessionState): void {
    this.sql.exec(`UPDATE state SET last_rseq = ?, last_heartbeat_at = ? WHERE id = 1`, state.lastRseq, state.lastHeartbeatAt);
  }
}

/** The session record the API returns. */
export function toRecord(state: SessionState, now = Date.now()): Session {
  const started = state.startedAt ? Date.parse(state.startedAt) : null;
  const ended = state.terminatedAt ? Date.parse(state.terminatedAt) : now;
  return {
    id: state.init.id,
    name: state.init.name,
    status: state.status,
    ui_state: state.uiState,
    needs_attention: state.needsAttention,
    dormant: state.dormant,
    created_at: state.createdAt,
    started_at: state.startedAt,
    terminated_at: state.terminatedAt,
    end_reason: state.endReason,
    end_detail: state.endDetail,
    error_message: state.errorMessage,
    profile_id: state.init.profileId,
    // Top-level copies and the fields below are what the product's client reads (issue 11).
    allowed_tools: state.init.settings.allowed_tools,
    denied_tools: state.init.settings.denied_tools,
    initial_prompt: state.init.initialPrompt,
    exit_code: state.exitCode ?? null,
    region: state.init.region ?? "local",
    lc_auth_type: state.init.orgId ? "org_api_key" : "jwt",
    task_budget_tokens: state.init.taskBudgetTokens ?? null,
    // Redacted again here: states stored before secrets were sealed hold them in clear.
    profile: redactSecrets(state.init.settings),
    forked_from_session_id: state.init.forkOf?.sessionId ?? null,
    // States stored before `simulated` existed lack it.
    usage: {
      ...state.usage,
      simulated: state.usage.simulated ?? false,
      runtime_seconds: started === null ? 0 : Math.max(0, Math.round((ended - started) / 100) / 10),
    },
  };
}

/** The fields the D1 session index mirrors (platform/db/sessions.ts `updateSessionIndex`). */
export function indexFields(state: SessionState): SessionIndexFields {
  return {
    name: state.init.name,
    status: state.status,
    ui_state: state.uiState,
    needs_attention: state.needsAttention,
    dormant: state.dormant,
    terminated_at: state.terminatedAt,
    end_reason: state.endReason,
    started_at: state.startedAt,
    input_tokens: state.usage.input_tokens,
    output_tokens: state.usage.output_tokens,
    cost_usd: state.usage.cost_usd,
    exit_code: state.exitCode ?? null,
  };
}
