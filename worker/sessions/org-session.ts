/**
 * Starting an unattended org session: the one code path behind `POST /v1/api/sessions` and
 * the `start ai agent` action of D&R rules. The Anthropic key is an org secret reference
 * (checked to exist) or a literal key (sealed per session); sessions are one-shot by default.
 * The body is the product client's (`start_session` in python-limacharlie `sdk/ai.py`): its
 * nested `profile` overrides the top-level fields this platform's own clients send.
 */
import type { Context } from "hono";
import { MAX_LIVE_SESSIONS_PER_ORG, type OrgSessionCreate, SECRET_REFERENCE } from "../../schemas/org.ts";
import { MAX_ENVIRONMENT_VARIABLES } from "../../schemas/profile.ts";
import type { Session } from "../../schemas/session.ts";
import { keyringFrom, seal } from "../../platform/crypto/sealed-box.ts";
import { DEFAULT_SETTINGS } from "../../platform/db/profiles.ts";
import { readOrgSecret } from "../../platform/db/org-secrets.ts";
import { ApiError } from "../../platform/errors.ts";
import { sessionCredentialContext } from "../gateway/credential-source.ts";
import type { AppEnv, AuthOrg } from "../http/app-env.ts";
import { orgOwner } from "./owners.ts";
import { refuseUnknownPlugins, startSession, withOverrides } from "./start-session.ts";

/** The Anthropic key of the body: `anthropic_key` (the product client's name) or its alias `anthropic_secret`. */
function anthropicKeyOf(body: OrgSessionCreate): string {
  const { anthropic_key: key, anthropic_secret: alias } = body;
  if (key && alias && key !== alias) throw new ApiError(400, "invalid_request", "anthropic_key and anthropic_secret differ; send one");
  const value = key || alias;
  // The product's client sends `anthropic_key: ""` when its template names no secret.
  if (!value)
    throw new ApiError(400, "invalid_request", "an org session needs anthropic_key: hive://secret/<name> or a key starting with sk-ant-");
  return value;
}

/**
 * The body's settings with the nested `profile` applied over the top-level fields, and the
 * LimaCharlie credentials added to the environment (whose values are sealed with the session's
 * other secrets and never returned: answers show the names only).
 */
function overridesOf(body: OrgSessionCreate, orgId: string) {
  const { task_budget_tokens: _t, plugins: _p, ...nested } = body.profile ?? {};
  const environment = {
    ...body.environment,
    ...nested.environment,
    ...(body.lc_api_key ? { LC_API_KEY: body.lc_api_key, LC_OID: orgId } : {}),
    ...(body.lc_uid ? { LC_UID: body.lc_uid } : {}),
  };
  // Each map was checked alone; merged they must still fit the one limit.
  if (Object.keys(environment).length > MAX_ENVIRONMENT_VARIABLES)
    throw new ApiError(
      400,
      "invalid_request",
      `request body: at most ${MAX_ENVIRONMENT_VARIABLES} environment variables (LC_API_KEY, LC_OID and LC_UID included)`,
    );
  return { ...body, ...nested, ...(Object.keys(environment).length > 0 ? { environment } : {}) };
}

/** Starts (or, for a live session with the same idempotent key, returns) an org session. */
export async function startOrgSession(
  c: Context<AppEnv>,
  org: AuthOrg,
  body: OrgSessionCreate,
): Promise<{ session: Session; reused: boolean }> {
  const prompt = body.initial_prompt ?? body.prompt;
  if (!prompt) throw new ApiError(400, "invalid_request", "request body: an org session needs a prompt (prompt or initial_prompt)");
  refuseUnknownPlugins(body.profile?.plugins ?? body.plugins);
  const anthropicKey = anthropicKeyOf(body);
  const ring = await keyringFrom(c.env);
  const secretName = SECRET_REFERENCE.exec(anthropicKey)?.[1];
  if (secretName) {
    if ((await readOrgSecret(c.env.DB, ring, org.id, secretName)) === null)
      throw new ApiError(400, "secret_not_found", `no org secret named ${secretName}`);
  } else if (!anthropicKey.startsWith("sk-ant-")) {
    throw new ApiError(400, "invalid_request", "anthropic_key must be hive://secret/<name> or a key starting with sk-ant-");
  }
  return startSession(
    c,
    { ownerId: orgOwner(org.id), orgId: org.id, keyId: org.keyId, liveLimit: MAX_LIVE_SESSIONS_PER_ORG },
    {
      name: body.name ?? null,
      profileId: null,
      // Rule-started sessions finish their task and end unless told otherwise.
      settings: withOverrides({ ...DEFAULT_SETTINGS, one_shot: true }, overridesOf(body, org.id)),
      initialPrompt: prompt,
      idempotentKey: body.idempotent_key ?? null,
      taskBudgetTokens: body.profile?.task_budget_tokens ?? body.task_budget_tokens ?? null,
      credential: async (sessionId) =>
        secretName
          ? { kind: "org_secret", name: secretName }
          : { kind: "sealed", ciphertext: (await seal(ring, anthropicKey, sessionCredentialContext(sessionId))).ciphertext },
      unattended: true,
    },
  );
}
