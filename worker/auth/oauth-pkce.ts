/**
 * Claude Max OAuth with PKCE (RFC 7636): the pieces that build the authorize URL and
 * exchange the code. Endpoints are configurable so tests talk to a local fake.
 */
import type { Config } from "../../platform/config.ts";
import { randomBytes, toBase64Url } from "../../platform/crypto/encoding.ts";

/** How long a started flow may wait for its code (docs/api.md §2: `expires_in: 300`). */
export const OAUTH_FLOW_TTL_SECONDS = 300;
/** How long we wait for the token endpoint. */
const TOKEN_EXCHANGE_TIMEOUT_MS = 10_000;

/** A fresh verifier, its S256 challenge, and an anti-CSRF state. */
export async function newPkcePair(): Promise<{ verifier: string; challenge: string; state: string }> {
  const verifier = toBase64Url(randomBytes(32));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: toBase64Url(new Uint8Array(digest)), state: toBase64Url(randomBytes(32)) };
}

/** The URL the user opens to authorise the platform. */
export function authorizeUrl(oauth: Config["oauth"], challenge: string, state: string): string {
  const url = new URL(oauth.authorizeUrl);
  url.searchParams.set("code", "true");
  url.searchParams.set("client_id", oauth.clientId);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", oauth.redirectUri);
  url.searchParams.set("scope", oauth.scopes);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  return url.toString();
}

/** Claude's page shows the code as `code#state`; split it. */
export function splitPastedCode(pasted: string): { code: string; state: string | null } {
  const hash = pasted.indexOf("#");
  return hash < 0 ? { code: pasted, state: null } : { code: pasted.slice(0, hash), state: pasted.slice(hash + 1) };
}

/** Tokens granted by the token endpoint. */
export interface OAuthTokens {
  access_token: string;
  refresh_token: string | null;
  expires_at: string | null;
}

/** Why an exchange failed, in words fit for the user (never including tokens). */
export class OAuthExchangeError extends Error {}

/** Exchanges an authorization code for tokens at the configured token endpoint. */
export function exchangeCode(oauth: Config["oauth"], code: string, state: string, verifier: string): Promise<OAuthTokens> {
  return requestTokens(
    oauth,
    { grant_type: "authorization_code", code, state, client_id: oauth.clientId, redirect_uri: oauth.redirectUri, code_verifier: verifier },
    "code",
  );
}

/** Trades a refresh token for fresh tokens (the refresh token itself may be rotated). */
export async function refreshTokens(oauth: Config["oauth"], refreshToken: string): Promise<OAuthTokens> {
  const tokens = await requestTokens(
    oauth,
    { grant_type: "refresh_token", refresh_token: refreshToken, client_id: oauth.clientId },
    "refresh token",
  );
  return { ...tokens, refresh_token: tokens.refresh_token ?? refreshToken };
}

/** One call to the token endpoint; `what` names the grant in error messages. */
async function requestTokens(oauth: Config["oauth"], grant: Record<string, string>, what: string): Promise<OAuthTokens> {
  let response: Response;
  try {
    response = await fetch(oauth.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(grant),
      signal: AbortSignal.timeout(TOKEN_EXCHANGE_TIMEOUT_MS),
    });
  } catch {
    throw new OAuthExchangeError("the token endpoint could not be reached");
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok) {
    const reason =
      typeof body?.error_description === "string"
        ? body.error_description
        : typeof body?.error === "string"
          ? body.error
          : `HTTP ${response.status}`;
    throw new OAuthExchangeError(`the token endpoint refused the ${what}: ${reason.slice(0, 200)}`);
  }
  if (typeof body?.access_token !== "string" || body.access_token.length === 0) {
    throw new OAuthExchangeError("the token endpoint answered without an access token");
  }
  const expiresIn = typeof body.expires_in === "number" ? body.expires_in : null;
  return {
    access_token: body.access_token,
    refresh_token: typeof body.refresh_token === "string" ? body.refresh_token : null,
    expires_at: expiresIn === null ? null : new Date(Date.now() + expiresIn * 1000).toISOString(),
  };
}
