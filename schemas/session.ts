/** Sessions over REST (docs/api.md §4). */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";
import { EndReason, SessionStatus, StoredEnvelope, UiState } from "./events.ts";
import { MAX_PROMPT_CHARS } from "./client-frames.ts";
import { ProfileSettings, ProfileSettingsFields } from "./profile.ts";

/** Live sessions one user may have at once. */
export const MAX_LIVE_SESSIONS_PER_USER = 10;

/**
 * `task_budget_tokens`: input plus output tokens the session may use; the gateway ends it
 * (`completed`, detail `task_budget_tokens`) once they pass it. Per session, not stored in profiles.
 */
export const TaskBudgetTokens = z.int().positive().max(100_000_000);

/** `plugins`: the platform ships none, so only an empty list is accepted (a name is a 400 `unknown_plugin`). */
export const Plugins = z.array(z.string().max(100)).max(50);

/** POST /v1/sessions: every field optional; profile fields override the chosen profile. */
export const SessionCreate = z
  .object({
    profile_id: Id.optional(),
    name: z.string().trim().min(1).max(200).optional(),
    initial_prompt: z.string().trim().min(1).max(MAX_PROMPT_CHARS).optional(),
    idempotent_key: z.string().min(1).max(256).optional(),
    task_budget_tokens: TaskBudgetTokens.optional(),
    plugins: Plugins.optional(),
    ...z.object(ProfileSettingsFields).partial().shape,
  })
  .strict()
  .meta({ id: "SessionCreate" });
export type SessionCreate = z.infer<typeof SessionCreate>;

/** Tokens, cost and time a session has used. */
export const SessionUsage = z
  .object({
    input_tokens: z.int(),
    output_tokens: z.int(),
    cache_creation_input_tokens: z.int(),
    cache_read_input_tokens: z.int(),
    cost_usd: z.number(),
    /**
     * The model is simulated (the offline demo's scripted model server): tokens and cost are
     * invented, not billed. Every client labels the figures so.
     */
    simulated: z.boolean(),
    turns: z.int(),
    runtime_seconds: z.number(),
  })
  .meta({ id: "SessionUsage" });
export type SessionUsage = z.infer<typeof SessionUsage>;

/** The full session record. */
export const Session = z
  .object({
    id: Id,
    name: z.string().nullable(),
    status: SessionStatus,
    ui_state: UiState,
    needs_attention: z.boolean(),
    dormant: z.boolean(),
    created_at: Timestamp,
    started_at: Timestamp.nullable(),
    terminated_at: Timestamp.nullable(),
    end_reason: EndReason.nullable(),
    end_detail: z.string().nullable(),
    error_message: z.string().nullable(),
    profile_id: z.string().nullable(),
    profile: ProfileSettings,
    allowed_tools: z.array(z.string()),
    denied_tools: z.array(z.string()),
    initial_prompt: z.string().nullable(),
    /** The runner process's exit code; null while it runs or when it ended without one. */
    exit_code: z.int().nullable(),
    /** The deployment's configured name (`REGION`, default "local"). */
    region: z.string(),
    /** How the owner authenticated: "jwt" (a user) or "org_api_key" (an org session). */
    lc_auth_type: z.enum(["jwt", "org_api_key"]),
    /** Input plus output tokens the session may use (null: no limit); passing it ends the session. */
    task_budget_tokens: z.int().nullable(),
    forked_from_session_id: z.string().nullable(),
    usage: SessionUsage,
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof Session>;

/** POST /v1/sessions and GET /v1/sessions/{id} (and the org read): the record enveloped, as the product's client reads it. */
export const SessionCreated = z.object({ session: Session }).meta({ id: "SessionCreated" });
/** GET /v1/sessions/{id}, GET /v1/org/sessions/{id}. */
export const SessionAnswer = SessionCreated;

/** One row of GET /v1/sessions (with the fields the product's clients and documentation read in list rows). */
export const SessionSummary = Session.pick({
  id: true,
  name: true,
  status: true,
  ui_state: true,
  needs_attention: true,
  dormant: true,
  created_at: true,
  started_at: true,
  terminated_at: true,
  end_reason: true,
  allowed_tools: true,
  denied_tools: true,
  exit_code: true,
  region: true,
  lc_auth_type: true,
}).meta({ id: "SessionSummary" });
export type SessionSummary = z.infer<typeof SessionSummary>;

/** GET /v1/sessions query. */
export const SessionListQuery = z
  .object({
    status: SessionStatus.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
  })
  .strict();

/** GET /v1/sessions. */
export const SessionList = z.object({ sessions: z.array(SessionSummary), next_cursor: z.string().nullable() }).meta({ id: "SessionList" });

/** GET /v1/sessions/{id}/history query. */
export const HistoryQuery = z
  .object({
    after_seq: z.coerce.number().int().min(0).default(0),
    /** Absent: the whole history after `after_seq` in one answer (the product's client never pages). */
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

/** GET /v1/sessions/{id}/history. */
export const HistoryPage = z.object({ messages: z.array(StoredEnvelope), next_after_seq: z.int().nullable() }).meta({ id: "HistoryPage" });

/** DELETE /v1/sessions/{id}. */
export const SessionTerminated = z.object({ terminated: z.literal(true) }).meta({ id: "SessionTerminated" });
/** DELETE /v1/sessions/{id}/record. */
export const SessionRecordDeleted = z.object({ deleted: z.literal(true) }).meta({ id: "SessionRecordDeleted" });
