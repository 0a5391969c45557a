/**
 * Starting an unattended org session: the one code path behind `POST /v1/api/sessions` and
 * the `start ai agent` action of D&R rules. The Anthropic key is an org secret reference
 * (checked to exist) or a literal key (sealed per session); sessions are one-shot by default.
 */
import type { Context } from "hono";
import { MAX_LIVE_SESSIONS_PER_ORG, type OrgSessionCreate, SECRET_REFERENCE } from "../../schemas/org.ts";
import type { Session } from "../../schemas/session.ts";
import { keyringFrom, seal } from "../../platform/crypto/sealed-box.ts";
import { DEFAULT_SETTINGS } from "../../platform/db/profiles.ts";
import { readOrgSecret } from "../../platform/db/org-secrets.ts";
import { ApiError } from "../../platform/errors.ts";
import { sessionCredentialContext } from "../gateway/credential-source.ts";
import type { AppEnv, AuthOrg } from "../http/app-env.ts";
import { orgOwner } from "./owners.ts";
import { startSession, withOverrides } from "./start-session.ts";

/** Starts (or, for a live session with the same idempotent key, returns) an org session. */
export async function startOrgSession(
  c: Context<AppEnv>,
  org: AuthOrg,
  body: OrgSessionCreate,
): Promise<{ session: Session; reused: boolean }> {
  const prompt = body.initial_prompt ?? body.prompt;
  if (!prompt) throw new ApiError(400, "invalid_request", "request body: an org session needs a prompt (prompt or initial_prompt)");
  if (body.plugins?.length) throw new ApiError(400, "unknown_plugin", `unknown plugin(s): ${body.plugins.join(", ")}`);
  const ring = await keyringFrom(c.env);
  const secretName = SECRET_REFERENCE.exec(body.anthropic_secret)?.[1];
  if (secretName) {
    if ((await readOrgSecret(c.env.DB, ring, org.id, secretName)) === null)
      throw new ApiError(400, "secret_not_found", `no org secret named ${secretName}`);
  } else if (!body.anthropic_secret.startsWith("sk-ant-")) {
    throw new ApiError(400, "invalid_request", "anthropic_secret must be hive://secret/<name> or a key starting with sk-ant-");
  }
  return startSession(
    c,
    { ownerId: orgOwner(org.id), orgId: org.id, keyId: org.keyId, liveLimit: MAX_LIVE_SESSIONS_PER_ORG },
    {
      name: body.name ?? null,
      profileId: null,
      // Rule-started sessions finish their task and end unless told otherwise.
      settings: withOverrides({ ...DEFAULT_SETTINGS, one_shot: true }, body),
      initialPrompt: prompt,
      idempotentKey: body.idempotent_key ?? null,
      credential: async (sessionId) =>
        secretName
          ? { kind: "org_secret", name: secretName }
          : { kind: "sealed", ciphertext: (await seal(ring, body.anthropic_secret, sessionCredentialContext(sessionId))).ciphertext },
      unattended: true,
    },
  );
}
