/** Finds the Anthropic credential a session's model calls are paid with (see `CredentialRef`). */
import type { CredentialRef } from "../../platform/contracts/session.ts";
import { refreshTokens } from "../auth/oauth-pkce.ts";
import { readConfig } from "../../platform/config.ts";
import { keyringFrom, open, type Keyring } from "../../platform/crypto/sealed-box.ts";
import { loadCredential, openCredential, storeCredential, type CredentialSecret } from "../../platform/db/credentials.ts";
import { readOrgSecret } from "../../platform/db/org-secrets.ts";
import type { Env } from "../../platform/env.ts";

/** Refresh an OAuth token this long before it expires, so no call goes out with a dying token. */
const OAUTH_REFRESH_MARGIN_MS = 60_000;

/** Whether an OAuth credential is to be refreshed before use. */
function expiring(credential: Extract<CredentialSecret, { type: "oauth_token" }>): boolean {
  const expiresAt = credential.expires_at ? Date.parse(credential.expires_at) : null;
  return expiresAt !== null && expiresAt - OAUTH_REFRESH_MARGIN_MS <= Date.now() && Boolean(credential.refresh_token);
}

/**
 * The user's OAuth credential, refreshed (and stored again, sealed) when it is about to expire.
 * When refreshing fails the old token is used: the upstream's own 401 then tells the user to log in again.
 */
async function freshOAuth(
  env: Env,
  ring: Keyring,
  userId: string,
  credential: Extract<CredentialSecret, { type: "oauth_token" }>,
): Promise<CredentialSecret> {
  if (!expiring(credential) || !credential.refresh_token) return credential;
  try {
    const tokens = await refreshTokens(readConfig(env).oauth, credential.refresh_token);
    const refreshed: CredentialSecret = { type: "oauth_token", ...tokens };
    await storeCredential(env.DB, ring, userId, refreshed, new Date().toISOString());
    return refreshed;
  } catch (error) {
    console.warn(`model gateway: OAuth refresh failed for a user: ${error instanceof Error ? error.message : "unknown error"}`);
    return credential;
  }
}

/** Binds a literal key given at session creation to that session. */
export const sessionCredentialContext = (sessionId: string) => `session-credential:${sessionId}`;

/** A user's sealed credential, read with the session's index row before the call was admitted. */
export interface PrefetchedCredential {
  userId: string;
  /** The stored ciphertext, or null when the user has none. */
  ciphertext: string | null;
  /** True when it is this isolate's copy of an earlier read (gateway-session-cache.ts), not this call's own. */
  remembered: boolean;
}

/** The credential for one model call, or null when it is gone (deleted key or secret). */
export async function resolveCredential(
  env: Env,
  sessionId: string,
  owner: { userId: string; orgId: string | null; credential: CredentialRef },
  prefetched: PrefetchedCredential | null = null,
): Promise<CredentialSecret | null> {
  const ring = await keyringFrom(env);
  switch (owner.credential.kind) {
    case "user": {
      let credential =
        prefetched?.userId === owner.userId
          ? prefetched.ciphertext === null
            ? null
            : await openCredential(ring, owner.userId, prefetched.ciphertext)
          : await loadCredential(env.DB, ring, owner.userId);
      // A remembered copy of a token about to expire may be one another isolate has refreshed
      // since (and its refresh token spent): the stored one decides.
      if (credential?.type === "oauth_token" && expiring(credential) && prefetched?.remembered)
        credential = await loadCredential(env.DB, ring, owner.userId);
      return credential?.type === "oauth_token" ? freshOAuth(env, ring, owner.userId, credential) : credential;
    }
    case "org_secret": {
      if (!owner.orgId) return null;
      const value = await readOrgSecret(env.DB, ring, owner.orgId, owner.credential.name);
      return value ? { type: "api_key", api_key: value } : null;
    }
    case "sealed":
      return { type: "api_key", api_key: await open(ring, owner.credential.ciphertext, sessionCredentialContext(sessionId)) };
  }
}
