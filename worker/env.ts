/**
 * The Worker's bindings and variables, as declared in wrangler.toml.
 * Optional strings are configuration with defaults (see config.ts and the README's table).
 */
import type { UserQuota } from "../durable-objects/user-quota.ts";

export interface Env {
  /** Users, profiles, credentials, the session index. */
  DB: D1Database;
  /** Workspace archives, transcripts, uploads and downloads. */
  FILES: R2Bucket;
  /** One per user: exact counters for rate limits and concurrency. */
  USER_QUOTA: DurableObjectNamespace<UserQuota>;
  /** The web UI's static files. */
  ASSETS?: Fetcher;

  JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
  ALLOWED_EMAIL_DOMAINS?: string;
  CREDENTIALS_KEY?: string;
  CREDENTIALS_OLD_KEYS?: string;
  ANTHROPIC_OAUTH_AUTHORIZE_URL?: string;
  ANTHROPIC_OAUTH_TOKEN_URL?: string;
  ANTHROPIC_OAUTH_CLIENT_ID?: string;
  ANTHROPIC_OAUTH_REDIRECT_URI?: string;
  ANTHROPIC_OAUTH_SCOPES?: string;
}
