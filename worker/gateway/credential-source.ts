/** Finds the Anthropic credential a session's model calls are paid with (see `CredentialRef`). */
import type { CredentialRef } from "../../durable-objects/session/session-state.ts";
import { keyringFrom, open } from "../crypto/sealed-box.ts";
import { loadCredential, type CredentialSecret } from "../db/credentials.ts";
import { readOrgSecret } from "../db/org-secrets.ts";
import type { Env } from "../env.ts";

/** Binds a literal key given at session creation to that session. */
export const sessionCredentialContext = (sessionId: string) => `session-credential:${sessionId}`;

/** The credential for one model call, or null when it is gone (deleted key or secret). */
export async function resolveCredential(
  env: Env,
  sessionId: string,
  owner: { userId: string; orgId: string | null; credential: CredentialRef },
): Promise<CredentialSecret | null> {
  const ring = await keyringFrom(env);
  switch (owner.credential.kind) {
    case "user":
      return loadCredential(env.DB, ring, owner.userId);
    case "org_secret": {
      if (!owner.orgId) return null;
      const value = await readOrgSecret(env.DB, ring, owner.orgId, owner.credential.name);
      return value ? { type: "api_key", api_key: value } : null;
    }
    case "sealed":
      return { type: "api_key", api_key: await open(ring, owner.credential.ciphertext, sessionCredentialContext(sessionId)) };
  }
}
