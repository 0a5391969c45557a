/**
 * Configuration read from the environment, with the defaults the README documents.
 * Every knob lives here so there is one place to look.
 */
import type { Env } from "./env.ts";

/** Claude's OAuth client id for the PKCE flow (the public client Claude Code itself uses). */
export const DEFAULT_OAUTH_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/** Deadlines of a session, in seconds (docs/api.md §4, §6). */
export interface SessionTimers {
  /** The sandbox must connect its runner within this. */
  startupTimeout: number;
  /** A runner silent for this long is presumed dead. */
  heartbeatStale: number;
  /** No session lives longer than this, whatever its ttl. */
  maxSession: number;
  /** An unanswered approval in an unattended session is denied after this. */
  approvalTimeout: number;
  /** A session idle this long (no turn, nothing queued or pending) hibernates: archived, sandbox stopped. */
  idleHibernate: number;
  /** Ended sessions keep their history and archive this long. */
  retention: number;
}

/** Reads an integer variable, falling back to `fallback` when unset or malformed. */
function intVar(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Session deadlines from the environment, with the documented defaults. */
export function sessionTimers(env: Env): SessionTimers {
  return {
    startupTimeout: intVar(env.STARTUP_TIMEOUT_SECONDS, 120),
    heartbeatStale: intVar(env.HEARTBEAT_STALE_SECONDS, 60),
    maxSession: intVar(env.MAX_SESSION_SECONDS, 86_400),
    approvalTimeout: intVar(env.APPROVAL_TIMEOUT_SECONDS, 300),
    idleHibernate: intVar(env.IDLE_HIBERNATE_SECONDS, 600),
    retention: intVar(env.RETENTION_DAYS, 3) * 86_400,
  };
}

/** Typed configuration derived from `env`. */
export interface Config {
  allowedEmailDomains: string[];
  oauth: { authorizeUrl: string; tokenUrl: string; clientId: string; redirectUri: string; scopes: string };
}

/** The deployment's configured name, reported as each session's `region`. */
export function regionName(env: Env): string {
  return env.REGION?.trim() || "local";
}

/** Reads the configuration once per request (cheap: a handful of string splits). */
export function readConfig(env: Env): Config {
  return {
    allowedEmailDomains: (env.ALLOWED_EMAIL_DOMAINS ?? "*")
      .split(",")
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
    oauth: {
      authorizeUrl: env.ANTHROPIC_OAUTH_AUTHORIZE_URL ?? "https://claude.ai/oauth/authorize",
      tokenUrl: env.ANTHROPIC_OAUTH_TOKEN_URL ?? "https://console.anthropic.com/v1/oauth/token",
      clientId: env.ANTHROPIC_OAUTH_CLIENT_ID ?? DEFAULT_OAUTH_CLIENT_ID,
      redirectUri: env.ANTHROPIC_OAUTH_REDIRECT_URI ?? "https://console.anthropic.com/oauth/code/callback",
      scopes: env.ANTHROPIC_OAUTH_SCOPES ?? "org:create_api_key user:profile user:inference",
    },
  };
}

/**
 * What is wrong with the identity configuration, or null. With `AUTH_JWKS_URL`, both
 * `AUTH_ISSUER` and `AUTH_AUDIENCE` are required: without them any token signed by the
 * provider's keys (one issued for another application, or by another tenant sharing the
 * JWKS) would be accepted. The Worker answers every request 503 until this is fixed.
 */
export function identityConfigProblem(env: Env): string | null {
  if (!env.AUTH_JWKS_URL) return null;
  const missing = (["AUTH_ISSUER", "AUTH_AUDIENCE"] as const).filter((name) => !env[name]?.trim());
  return missing.length ? `AUTH_JWKS_URL is set, so ${missing.join(" and ")} must be set too` : null;
}

/** True when `email`'s domain may register (`*` allows all). */
export function emailDomainAllowed(config: Config, email: string): boolean {
  if (config.allowedEmailDomains.includes("*")) return true;
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  return config.allowedEmailDomains.includes(domain);
}

/** Whether the model gateway's upstream is the scripted model server (env.ts `SIMULATED_MODEL`): costs are simulated. */
export function modelSimulated(env: Pick<Env, "SIMULATED_MODEL">): boolean {
  return env.SIMULATED_MODEL === "true";
}
