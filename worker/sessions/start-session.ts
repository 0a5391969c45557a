/**
 * Starting a session, for every kind of owner (a user, or an org through its API key):
 * idempotency, the live-session cap and creation rate (counted exactly by the owner's
 * `UserQuota` Durable Object), the D1 index row, and the session's own Durable Object.
 */
import { regionName } from "../../platform/config.ts";
import type { Context } from "hono";
import type { CredentialRef, ForkSeed } from "../../platform/contracts/session.ts";
import { deletePrefix, sessionPrefix } from "../../platform/files/blob-keys.ts";
import type { ProfileSettings } from "../../schemas/profile.ts";
import type { Session } from "../../schemas/session.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { restoreRedacted, sealSessionSettings } from "../../platform/secrets/profile-secrets.ts";
import { deleteSessionRow, findLiveByIdempotentKey, insertSessionRow } from "../../platform/db/sessions.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { consumeRate, SESSION_CREATE_RATE } from "../quota.ts";

/** Who a session belongs to, and how many live sessions that owner may have. */
export interface SessionOwner {
  /** `sub` of a user, or `org:<org id>` for org sessions. */
  ownerId: string;
  orgId: string | null;
  /** The org API key that started the session, for usage per key. */
  keyId: string | null;
  liveLimit: number;
}

/** What the new session runs with. */
export interface SessionRequest {
  name: string | null;
  profileId: string | null;
  settings: ProfileSettings;
  initialPrompt: string | null;
  idempotentKey: string | null;
  /** Input plus output tokens the session may use (`task_budget_tokens`); null: no limit. */
  taskBudgetTokens: number | null;
  /** Where the model gateway finds the credential; literal keys are sealed per session. */
  credential: (sessionId: string) => Promise<CredentialRef>;
  unattended: boolean;
  /** For a fork: puts the new session's copy of the source's archive in place (fork-session.ts). */
  forkOf?: (sessionId: string) => Promise<ForkSeed>;
}

/** The session's Durable Object. */
export function sessionStub(env: AppEnv["Bindings"], id: string) {
  return env.SESSION.get(env.SESSION.idFromName(id));
}

/** Creates and starts a session, or returns the live one created with the same idempotent key. */
export async function startSession(
  c: Context<AppEnv>,
  owner: SessionOwner,
  request: SessionRequest,
): Promise<{ session: Session; reused: boolean }> {
  if (request.idempotentKey) {
    const existing = await findLiveByIdempotentKey(c.env.DB, owner.ownerId, request.idempotentKey);
    const record = existing ? await sessionStub(c.env, existing.id).describe() : null;
    if (record && record.status !== "ended") return { session: record, reused: true };
  }
  const id = newId();
  const quota = c.env.USER_QUOTA.get(c.env.USER_QUOTA.idFromName(owner.ownerId));
  // The live-session cap is checked first, so the 11th live session is a 409 whatever the
  // rate; only creations that got a slot count against the rate limit.
  if (!(await quota.claimSessionSlot(id, owner.liveLimit))) {
    throw new ApiError(409, "max_concurrent_sessions", `at most ${owner.liveLimit} live sessions; terminate one first`);
  }
  try {
    await consumeRate(c.env, owner.ownerId, SESSION_CREATE_RATE);
    await insertSessionRow(c.env.DB, {
      id,
      user_id: owner.ownerId,
      org_id: owner.orgId,
      created_by_key: owner.keyId,
      name: request.name,
      profile_id: request.profileId,
      idempotent_key: request.idempotentKey,
      created_at: new Date().toISOString(),
      listed: { allowed_tools: request.settings.allowed_tools, denied_tools: request.settings.denied_tools, region: regionName(c.env) },
    });
    const forkOf = request.forkOf ? await request.forkOf(id) : null;
    // The object stores the settings with their secrets sealed; only the runner's configuration opens them.
    const { settings, sealedSecrets } = await sealSessionSettings(await keyringFrom(c.env), id, request.settings);
    const session = await sessionStub(c.env, id).create({
      id,
      userId: owner.ownerId,
      orgId: owner.orgId,
      name: request.name,
      profileId: request.profileId,
      settings,
      sealedSecrets,
      initialPrompt: request.initialPrompt,
      idempotentKey: request.idempotentKey,
      taskBudgetTokens: request.taskBudgetTokens,
      credential: await request.credential(id),
      region: regionName(c.env),
      platformUrl: (c.env.PLATFORM_URL ?? new URL(c.req.url).origin).replace(/\/$/, ""),
      unattended: request.unattended,
      forkOf,
    });
    return { session, reused: false };
  } catch (error) {
    await quota.releaseSessionSlot(id);
    await deleteSessionRow(c.env.DB, id);
    if (request.forkOf) await deletePrefix(c.env.FILES, sessionPrefix(id)); // a fork's copied archive
    throw error;
  }
}

/**
 * The platform ships no plugins: an empty list (what the product's client sends when its
 * template has none) is accepted, any name is a clear 400 rather than silently dropped.
 */
export function refuseUnknownPlugins(plugins: string[] | undefined): void {
  if (plugins?.length) throw new ApiError(400, "unknown_plugin", `unknown plugin(s): ${plugins.join(", ")}; this platform has none`);
}

/** Fields of a create body that override the base settings. */
const OVERRIDABLE = [
  "description",
  "allowed_tools",
  "denied_tools",
  "permission_mode",
  "model",
  "max_turns",
  "max_budget_usd",
  "one_shot",
  "ttl_seconds",
  "environment",
  "mcp_servers",
] as const satisfies (keyof ProfileSettings)[];

/** `base` with every field the body sets replaced; redaction markers in the body stand for `base`'s values. */
export function withOverrides(base: ProfileSettings, body: Partial<Record<(typeof OVERRIDABLE)[number], unknown>>): ProfileSettings {
  const settings: ProfileSettings = { ...base };
  for (const field of OVERRIDABLE) {
    if (body[field] !== undefined) (settings as Record<string, unknown>)[field] = body[field];
  }
  return { ...settings, ...restoreRedacted(settings, base) };
}
