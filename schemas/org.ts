/** Organisations over REST (docs/api.md §8): API keys, secrets and the org session API. */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";
import { ProfileSettingsFields } from "./profile.ts";
import { Plugins, Session, SessionCreate, TaskBudgetTokens } from "./session.ts";

/** An org id as clients send it in paths and `X-LC-OID`. */
export const OrgId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "org ids use letters, digits, '-' and '_'");

/** A secret name as `hive://secret/<name>` references it. */
export const SecretName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "secret names use letters, digits, '.', '-' and '_'");

/** `hive://secret/<name>`: a reference to an org secret. */
export const SECRET_REFERENCE = /^hive:\/\/secret\/([A-Za-z0-9_.-]{1,128})$/;

/** Live sessions one org may have at once through its API keys. */
export const MAX_LIVE_SESSIONS_PER_ORG = 50;

/** POST /v1/orgs/{oid}/keys (operator only); `expires_at`: when the key stops working (default never). */
export const OrgKeyCreate = z
  .object({ name: z.string().trim().min(1).max(100), expires_at: Timestamp.optional() })
  .strict()
  .meta({ id: "OrgKeyCreate" });

/** The new key, shown once: only its hash is stored. */
export const OrgKeyCreated = z
  .object({ id: Id, org_id: OrgId, name: z.string(), key: z.string(), created_at: Timestamp, expires_at: Timestamp.nullable() })
  .meta({ id: "OrgKeyCreated" });

/** A key as the operator lists it: never the key itself. A revoked or expired key is refused on every request. */
export const OrgKeyInfo = z
  .object({
    id: Id,
    org_id: OrgId,
    name: z.string(),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: "OrgKeyInfo" });

/** GET /v1/orgs/{oid}/keys (operator only). */
export const OrgKeyList = z.object({ keys: z.array(OrgKeyInfo) }).meta({ id: "OrgKeyList" });

/** PUT /v1/orgs/{oid}/keys/{id} (operator only): a new expiry (a past or present time expires it now), or null for none. */
export const OrgKeyUpdate = z.object({ expires_at: Timestamp.nullable() }).strict().meta({ id: "OrgKeyUpdate" });

/**
 * PUT /v1/orgs/{oid}/secrets/{name}. `expose_to_sessions` grants the value to sessions'
 * environments (`hive://secret/<name>` in `environment`); without it the secret serves only
 * `anthropic_secret` (the model gateway) and is never put in a sandbox. The grant is given only
 * with the value, so a key can expose to sessions only a value it supplies itself.
 */
export const OrgSecretPut = z
  .object({ value: z.string().min(1).max(32_768), expose_to_sessions: z.boolean().default(false) })
  .strict()
  .meta({ id: "OrgSecretPut" });

/** A secret as listed: its name, grant and dates, never its value. */
export const OrgSecretInfo = z
  .object({ name: z.string(), expose_to_sessions: z.boolean(), created_at: Timestamp, updated_at: Timestamp })
  .meta({ id: "OrgSecretInfo" });

/** GET /v1/orgs/{oid}/secrets. */
export const OrgSecretList = z.object({ secrets: z.array(OrgSecretInfo) }).meta({ id: "OrgSecretList" });

/**
 * The nested `profile` of the product client's `start_session` body (python-limacharlie
 * `sdk/ai.py`: the ai_agent template's fields plus the caller's overrides). Its fields override
 * the top-level ones, which this platform's own clients and D&R rules send.
 */
export const OrgSessionProfile = z
  .object({
    allowed_tools: ProfileSettingsFields.allowed_tools,
    denied_tools: ProfileSettingsFields.denied_tools,
    permission_mode: ProfileSettingsFields.permission_mode,
    model: ProfileSettingsFields.model,
    max_turns: ProfileSettingsFields.max_turns,
    max_budget_usd: ProfileSettingsFields.max_budget_usd,
    task_budget_tokens: TaskBudgetTokens,
    ttl_seconds: ProfileSettingsFields.ttl_seconds,
    one_shot: ProfileSettingsFields.one_shot,
    plugins: Plugins,
    environment: ProfileSettingsFields.environment,
    mcp_servers: ProfileSettingsFields.mcp_servers,
  })
  .partial()
  .strict()
  .meta({ id: "OrgSessionProfile" });
export type OrgSessionProfile = z.infer<typeof OrgSessionProfile>;

/**
 * POST /v1/api/sessions: a session for automation, paid for with an org secret or a literal key.
 * The body the product's client sends (`start_session`): `prompt`, `anthropic_key`,
 * `trigger_source`, `lc_api_key`, `lc_uid`, `name`, `idempotent_key`, `profile{...}`.
 */
export const OrgSessionCreate = SessionCreate.omit({ profile_id: true })
  .extend({
    /**
     * `hive://secret/<name>` or a literal `sk-ant-...` key. The product's documentation names
     * this `anthropic_secret` (the ai_agent record's field) while its client sends
     * `anthropic_key`: the client wins, and the documented name stays an alias.
     */
    anthropic_key: z.string().max(512).optional(),
    /** Alias of `anthropic_key`, as D&R rules and the product's documentation call it. */
    anthropic_secret: z.string().max(512).optional(),
    /** Alias of `initial_prompt`, as the product's client and rule actions call it. */
    prompt: z.string().trim().min(1).max(200_000).optional(),
    /** Who started it ("cli", "api", ...): accepted for the product's client, informational only. */
    trigger_source: z.string().max(64).optional(),
    /** A LimaCharlie API key for the agent's `limacharlie` CLI: sealed into the session's environment as `LC_API_KEY`. */
    lc_api_key: z.string().min(1).max(4_096).optional(),
    /** The LimaCharlie user id that goes with a user API key: sealed into the environment as `LC_UID`. */
    lc_uid: z.string().min(1).max(256).optional(),
    profile: OrgSessionProfile.optional(),
  })
  .strict()
  .meta({ id: "OrgSessionCreate" });
export type OrgSessionCreate = z.infer<typeof OrgSessionCreate>;

/**
 * The answer to POST /v1/api/sessions: 201 (200 for a live session reused by `idempotent_key`).
 * `session_id`, `status` and `created_at` are what the product's client reads; `session` (the
 * full record) is for this platform's own clients.
 */
export const OrgSessionCreated = z
  .object({ session_id: z.string(), status: Session.shape.status, created_at: Timestamp, session: Session })
  .meta({ id: "OrgSessionCreated" });

/** GET /v1/org/usage query: sessions created in [since, until). */
export const OrgUsageQuery = z.object({ since: z.iso.datetime().optional(), until: z.iso.datetime().optional() }).strict();

/** Runtime, tokens and cost: of one session, one key, or all. */
export const UsageFigures = z.object({
  sessions: z.int(),
  runtime_minutes: z.number(),
  input_tokens: z.int(),
  output_tokens: z.int(),
  cost_usd: z.number(),
});

/** GET /v1/org/usage. */
export const OrgUsage = z
  .object({
    since: Timestamp.nullable(),
    until: Timestamp.nullable(),
    sessions: z.array(
      z.object({
        id: Id,
        name: z.string().nullable(),
        status: z.string(),
        key_id: z.string().nullable(),
        created_at: Timestamp,
        ...UsageFigures.omit({ sessions: true }).shape,
      }),
    ),
    keys: z.array(z.object({ key_id: z.string().nullable(), ...UsageFigures.shape })),
    totals: UsageFigures,
  })
  .meta({ id: "OrgUsage" });
export type OrgUsage = z.infer<typeof OrgUsage>;

/** An identity usage is counted under: the name of the org key that started the session, or the session's owner. */
export const UsageIdentity = z.string();
export type UsageIdentity = z.infer<typeof UsageIdentity>;

/** GET /v1/org/usage/identities (the product's `limacharlie ai usage list`). */
export const UsageIdentities = z.object({ identities: z.array(UsageIdentity) }).meta({ id: "UsageIdentities" });

/** One hour of one identity's model usage: every metered call of its org sessions that hour. */
export const UsagePoint = z
  .object({
    /** The hour's start (ISO-8601 UTC). */
    hour: Timestamp,
    requests: z.int(),
    input_tokens: z.int(),
    output_tokens: z.int(),
    cache_creation_input_tokens: z.int(),
    cache_read_input_tokens: z.int(),
    cost_usd: z.number(),
  })
  .meta({ id: "UsagePoint" });
export type UsagePoint = z.infer<typeof UsagePoint>;

/** GET /v1/org/usage/identities/{identity} (the product's `limacharlie ai usage get`): hourly points, oldest first. */
export const IdentityUsage = z.object({ identity: UsageIdentity, usage: z.array(UsagePoint) }).meta({ id: "IdentityUsage" });
