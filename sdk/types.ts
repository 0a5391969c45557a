/** The wire types callers see, inferred from the platform's zod schemas (the single source of truth). */
import type { z } from "zod";
import type { CredentialStatus, CredentialStored, OAuthCompleted, OAuthStarted, OAuthUrl, Registered } from "../schemas/account.ts";
import type { HistoryPage, SessionCreate, SessionList } from "../schemas/session.ts";
import type { IdentityUsage, OrgSessionCreate, OrgSessionCreated, UsageIdentities } from "../schemas/org.ts";
import type { ProfileCreate, ProfileUpdate } from "../schemas/profile.ts";
import type { DetectionInfo as DetectionInfoSchema } from "../schemas/rules.ts";

export type { Profile, ProfileSettings, McpServer } from "../schemas/profile.ts";
export type { Session, SessionSummary, SessionUsage } from "../schemas/session.ts";
export type { ForkPreflight, ForkRequest } from "../schemas/fork.ts";
export type {
  AskUserQuestionPayload,
  AssistantPayload,
  ContentBlock,
  EndReason,
  ErrorPayload,
  Question,
  ResultPayload,
  ServerEnvelope,
  ServerEventType,
  SessionEndPayload,
  SessionErrorPayload,
  SessionStatus,
  SessionStatusPayload,
  StoredEnvelope,
  SystemPayload,
  ToolApprovalRequestPayload,
  ToolResultPayload,
  ToolUsePayload,
  UiState,
  UsageDeltaPayload,
} from "../schemas/events.ts";
export type { PermissionMode } from "../schemas/permissions.ts";
export type { RuleInfo, EventResult } from "../schemas/rules.ts";
/** A reported detection (DR.md §7 Q7/Q8). */
export type DetectionInfo = z.infer<typeof DetectionInfoSchema>;
export type { DownloadTicket, UploadCompleted, UploadTicket } from "../schemas/files.ts";

/** Body of `POST /v1/sessions`. */
export type SessionCreateInput = z.input<typeof SessionCreate>;
/** Body of `POST /v1/profiles`. */
export type ProfileCreateInput = z.input<typeof ProfileCreate>;
/** Body of `PUT /v1/profiles/{id}`. */
export type ProfileUpdateInput = z.input<typeof ProfileUpdate>;
/** One page of `GET /v1/sessions`. */
export type SessionListPage = z.infer<typeof SessionList>;
/** One page of `GET /v1/sessions/{id}/history`. */
export type HistoryPageData = z.infer<typeof HistoryPage>;
/** Answer of `POST /v1/register`. */
export type RegisteredAnswer = z.infer<typeof Registered>;
/** Answer of `GET /v1/auth/claude/status`. */
export type CredentialStatusAnswer = z.infer<typeof CredentialStatus>;
/** Answer of `POST /v1/auth/claude/apikey`. */
export type CredentialStoredAnswer = z.infer<typeof CredentialStored>;
/** Answer of `POST /v1/auth/claude/start`. */
export type OAuthStartedAnswer = z.infer<typeof OAuthStarted>;
/** Answer of `GET /v1/auth/claude/url`. */
export type OAuthUrlAnswer = z.infer<typeof OAuthUrl>;
/** Answer of `POST /v1/auth/claude/code`. */
export type OAuthCompletedAnswer = z.infer<typeof OAuthCompleted>;
/** Body of `POST /v1/api/sessions` (org API key + `X-LC-OID`), as the product's client sends it. */
export type OrgSessionCreateInput = z.input<typeof OrgSessionCreate>;
/** Answer of `POST /v1/api/sessions`. */
export type OrgSessionCreatedAnswer = z.infer<typeof OrgSessionCreated>;
/** Answer of `GET /v1/org/usage/identities`. */
export type UsageIdentitiesAnswer = z.infer<typeof UsageIdentities>;
/** Answer of `GET /v1/org/usage/identities/{identity}`: hourly points. */
export type IdentityUsageAnswer = z.infer<typeof IdentityUsage>;
