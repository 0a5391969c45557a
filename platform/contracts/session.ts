/**
 * The session Durable Object's boundary: what the Worker (routes, the model gateway) may ask
 * of it over RPC, the plain-data types that cross, and the headers of a forwarded WebSocket
 * upgrade. Both sides import this module; neither imports the other's internals.
 */
import type { EndReason, StoredEnvelope } from "../../schemas/events.ts";
import type { DownloadTicket, FileErrorCode, UploadCompleted, UploadRequest, UploadTicket } from "../../schemas/files.ts";
import type { ProfileSettings } from "../../schemas/profile.ts";
import type { Session } from "../../schemas/session.ts";

/**
 * Where the model gateway finds the Anthropic credential of a session: the owner's stored
 * credential, an org secret, or a literal key given at creation (sealed for this session).
 */
export type CredentialRef = { kind: "user" } | { kind: "org_secret"; name: string } | { kind: "sealed"; ciphertext: string };

/** What the Worker hands the DO when it creates a session. */
export interface SessionInit {
  id: string;
  /** The owner: a user's `sub`, or `org:<org id>` for org sessions. */
  userId: string;
  orgId: string | null;
  credential: CredentialRef;
  name: string | null;
  profileId: string | null;
  /** The effective settings, their secret values (`environment`, MCP headers/env) redacted. */
  settings: ProfileSettings;
  /**
   * The secret values, sealed for this session (platform/secrets/profile-secrets.ts): opened
   * only to configure the runner. Absent in sessions created before sealing, whose settings are in clear.
   */
  sealedSecrets?: string | null;
  initialPrompt: string | null;
  idempotentKey: string | null;
  /** Where the runner and the model gateway reach the platform (origin of the create request, or `PLATFORM_URL`). */
  platformUrl: string;
  /** True when nobody can answer approvals (rule-started sessions). */
  unattended: boolean;
  /** The deployment's configured name (`REGION`) when the session was made; absent in older states ("local"). */
  region?: string;
  /** Input plus output tokens the session may use before it ends (`task_budget_tokens`); absent or null: no limit. */
  taskBudgetTokens?: number | null;
  /** Set when the session is a fork: it starts by restoring this copy of the source's archive. */
  forkOf?: ForkSeed | null;
}

/** A workspace archive in R2 (workspace files and Claude Code's transcript, hibernation.ts). */
export interface ArchiveRef {
  key: string;
  size: number;
  /** When it was made. */
  at: string;
}

/** Where a fork starts from: the source, its conversation, and the fork's own copy of the source's archive. */
export interface ForkSeed {
  sessionId: string;
  agentSessionId: string | null;
  archive: ArchiveRef;
}

/** What a fork needs of its source (`SessionRpc.forkPoint`). */
export interface ForkPoint {
  /** The newest workspace archive; null when the session never hibernated. */
  archive: ArchiveRef | null;
  /** Claude Code's session id, for `--resume`; null before the first turn. */
  agentSessionId: string | null;
  /** True while the sandbox is up and the workspace changing (awake, or being archived): nothing settled to copy. */
  running: boolean;
}

/** Answer of a gateway admission check. */
export type ModelAdmission =
  /** `callId` names the admitted call until the gateway settles it (`settleModelCall`). */
  | { allowed: true; callId: string; userId: string; orgId: string | null; credential: CredentialRef }
  | {
      allowed: false;
      /**
       * `budget_reserved` and `too_many_calls` pass once calls in flight finish, `runner_gone`
       * once the session's runner is back (its socket closed and has not come back); the others do not.
       */
      reason: "bad_token" | "expired" | "session_ended" | "runner_gone" | "budget_exceeded" | "budget_reserved" | "too_many_calls";
      message: string;
    };

/** Usage the model gateway measured for one upstream call. */
export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost_usd: number;
  model: string;
}

/** Why a file operation was refused, with the HTTP status the REST route answers with. */
export interface FileFailure {
  status: 400 | 404 | 409 | 413 | 429 | 502 | 504;
  code: FileErrorCode;
  message: string;
  retryAfterSeconds?: number;
}

/** The answer of a file operation: its value, or why not. Plain data, so it crosses RPC. */
export type FileOutcome<T> = { ok: true; value: T } | { ok: false; failure: FileFailure };

/** One page of a session's stored events. */
export interface HistorySlice {
  messages: StoredEnvelope[];
  next_after_seq: number | null;
}

/** Headers the Worker sets when it forwards an authenticated upgrade to the session object. */
export const FORWARD_HEADERS = {
  role: "x-ais-role",
  user: "x-ais-user",
  readOnly: "x-ais-read-only",
  expiresAt: "x-ais-expires-at",
  keyId: "x-ais-key-id",
} as const;

/** The RPC surface of the session Durable Object (`env.SESSION`). */
export interface SessionRpc extends Rpc.DurableObjectBranded {
  /** Creates the session (idempotent for the same id) and starts its sandbox. */
  create(init: SessionInit): Promise<Session>;
  /** The session's record, or null when this object holds none. */
  describe(): Promise<Session | null>;
  /** The stored settings (secrets redacted) and their sealed secrets, for capturing them as a profile; null when there is no session. */
  storedSettings(): Promise<{ settings: ProfileSettings; sealedSecrets: string | null } | null>;
  /** What a fork copies of this session; null when there is no session. */
  forkPoint(): Promise<ForkPoint | null>;
  /** Closes (4001) the client sockets opened with org API key `keyId`, once it is revoked; answers how many. */
  closeClientsOfKey(keyId: string): Promise<number>;
  /** Ends the session for `reason`; null when there is none. */
  terminate(reason: EndReason, detail?: string | null): Promise<Session | null>;
  /** Stored events after `afterSeq`, at most `limit`. */
  history(afterSeq: number, limit: number): Promise<HistorySlice>;
  /** Deletes an ended session's record, events and files; false when it is still live. */
  deleteRecord(): Promise<boolean>;
  /** The model gateway's check of a sandbox's bearer token. */
  admitModelRequest(token: string): Promise<ModelAdmission>;
  /** Usage the gateway metered for one upstream call. */
  recordModelUsage(usage: ModelUsage): Promise<void>;
  /** Ends an admitted call: releases its budget reservation and records its usage (null: none known). */
  settleModelCall(callId: string, usage: ModelUsage | null): Promise<void>;
  requestUpload(input: UploadRequest, base: string): Promise<FileOutcome<UploadTicket>>;
  completeUpload(uploadId: string): Promise<FileOutcome<UploadCompleted>>;
  requestDownload(path: string, base: string): Promise<FileOutcome<DownloadTicket>>;
  /** WebSocket upgrades (client and runner sockets), forwarded by the Worker. */
  fetch(request: Request): Promise<Response>;
}
