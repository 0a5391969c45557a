/**
 * The Worker's bindings and variables, as declared in wrangler.toml.
 * Optional strings are configuration with defaults (see config.ts and the README's table).
 */
import type { OrgRuleStateRpc } from "./contracts/org-rule-state.ts";
import type { SandboxContainerRpc } from "./contracts/sandbox-container.ts";
import type { SessionRpc } from "./contracts/session.ts";
import type { UserQuotaRpc } from "./contracts/user-quota.ts";

export interface Env {
  /** Users, profiles, credentials, the session index. */
  DB: D1Database;
  /** Workspace archives, transcripts, uploads and downloads. */
  FILES: R2Bucket;
  /** One per user: exact counters for rate limits and concurrency. */
  USER_QUOTA: DurableObjectNamespace<UserQuotaRpc>;
  /** One per session: lifecycle, event log, client and runner sockets, timers. */
  SESSION: DurableObjectNamespace<SessionRpc>;
  /** One per session in production: the Container running Claude Code. */
  SANDBOX: DurableObjectNamespace<SandboxContainerRpc>;
  /** One per org: rule state shared across events (idempotent and debounce keys). */
  ORG_RULE_STATE: DurableObjectNamespace<OrgRuleStateRpc>;
  /** The web UI's static files. */
  ASSETS?: Fetcher;

  /** The deployment's name, reported as a session's `region` (default "local"). */
  REGION?: string;
  JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
  ALLOWED_EMAIL_DOMAINS?: string;
  CREDENTIALS_KEY?: string;
  CREDENTIALS_OLD_KEYS?: string;
  /** Secret for signed file URLs; unset: derived from CREDENTIALS_KEY (platform/files/signed-url.ts). */
  FILES_SIGNING_KEY?: string;
  ANTHROPIC_OAUTH_AUTHORIZE_URL?: string;
  ANTHROPIC_OAUTH_TOKEN_URL?: string;
  ANTHROPIC_OAUTH_CLIENT_ID?: string;
  ANTHROPIC_OAUTH_REDIRECT_URI?: string;
  ANTHROPIC_OAUTH_SCOPES?: string;
  /** Upstream of the model gateway (default https://api.anthropic.com). */
  ANTHROPIC_API_URL?: string;
  /**
   * "true" when `ANTHROPIC_API_URL` is the project's scripted model server (the offline demo,
   * set by scripts/local-platform.ts together with that URL): its answers, tokens and costs are
   * invented, and every surface labels them simulated.
   */
  SIMULATED_MODEL?: string;
  /** Public origin of the platform as the sandbox reaches it (default: the origin of the create request). */
  PLATFORM_URL?: string;
  /** `container` (default, production) or `local` (the local sandbox host). */
  SANDBOX_BACKEND?: string;
  SANDBOX_HOST_URL?: string;
  SANDBOX_HOST_TOKEN?: string;
  STARTUP_TIMEOUT_SECONDS?: string;
  HEARTBEAT_STALE_SECONDS?: string;
  MAX_SESSION_SECONDS?: string;
  APPROVAL_TIMEOUT_SECONDS?: string;
  RETENTION_DAYS?: string;
  /** Idle seconds before a session hibernates (default 600). */
  IDLE_HIBERNATE_SECONDS?: string;
  /** Operator secret that may issue org API keys (POST /v1/orgs/{oid}/keys). */
  ORG_ADMIN_TOKEN?: string;
}
