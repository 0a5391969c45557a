/**
 * Configuration read from the environment, with the defaults the README documents.
 * Every knob lives here so there is one place to look.
 */
import type { Env } from "./env.ts";

/** Claude's OAuth client id for the PKCE flow (the public client Claude Code itself uses). */
export const DEFAULT_OAUTH_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/** Typed configuration derived from `env`. */
export interface Config {
  allowedEmailDomains: string[];
  oauth: { authorizeUrl: string; tokenUrl: string; clientId: string; redirectUri: string; scopes: string };
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

/** True when `email`'s domain may register (`*` allows all). */
export function emailDomainAllowed(config: Config, email: string): boolean {
  if (config.allowedEmailDomains.includes("*")) return true;
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  return config.allowedEmailDomains.includes(domain);
}
