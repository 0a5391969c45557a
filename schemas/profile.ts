/** Profiles: saved session settings (docs/api.md §3). */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";
import { PermissionList, PermissionMode } from "./permissions.ts";

/** Longest allowed session lifetime: 24 hours. */
export const MAX_TTL_SECONDS = 86_400;
/** Shortest allowed session lifetime. */
export const MIN_TTL_SECONDS = 60;
/** Profiles one user may keep. */
export const MAX_PROFILES_PER_USER = 10;

/**
 * What answers show in place of a secret value: every `environment` value and every MCP
 * server's `headers`/`env` value (they hold tokens and keys) is replaced by this marker, so a
 * reader learns the names only. A create or update that sends the marker back for a name
 * keeps the value stored for that name, so editing a profile read from the API loses nothing.
 */
export const REDACTED_SECRET = "[redacted]";

/** Environment variable names as a shell accepts them. */
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "not a valid environment variable name");

/** Environment variables one profile or session may set. */
export const MAX_ENVIRONMENT_VARIABLES = 100;

/** Env vars for the session; values may reference org secrets as `hive://secret/<name>`. */
export const Environment = z.record(EnvName, z.string().max(32_768)).refine((env) => Object.keys(env).length <= MAX_ENVIRONMENT_VARIABLES, {
  message: `at most ${MAX_ENVIRONMENT_VARIABLES} environment variables`,
});

/** An MCP server reached over HTTP. */
export const HttpMcpServer = z
  .object({
    type: z.literal("http"),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string().max(256), z.string().max(8_192)).optional(),
  })
  .strict();

/** An MCP server started as a process inside the sandbox. */
export const StdioMcpServer = z
  .object({
    type: z.literal("stdio"),
    command: z.string().min(1).max(1_024),
    args: z.array(z.string().max(4_096)).max(100).optional(),
    env: z.record(EnvName, z.string().max(32_768)).optional(),
  })
  .strict();

/** One MCP server configuration. */
export const McpServer = z.discriminatedUnion("type", [HttpMcpServer, StdioMcpServer]);
export type McpServer = z.infer<typeof McpServer>;

/** MCP servers by name (the name becomes the `mcp__<name>` permission prefix). */
export const McpServers = z
  .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "MCP server names use letters, digits, '-' and '_'"), McpServer)
  .refine((servers) => Object.keys(servers).length <= 20, { message: "at most 20 MCP servers" });

/** Every setting a profile carries, each optional: the building block of profiles and session overrides. */
export const ProfileSettingsFields = {
  description: z.string().max(500),
  allowed_tools: PermissionList,
  denied_tools: PermissionList,
  permission_mode: PermissionMode,
  model: z.string().min(1).max(200),
  max_turns: z.int().min(1).max(10_000),
  max_budget_usd: z.number().positive().max(100_000),
  one_shot: z.boolean(),
  ttl_seconds: z.int().min(MIN_TTL_SECONDS).max(MAX_TTL_SECONDS),
  environment: Environment,
  mcp_servers: McpServers,
};

/** A profile name: 1..100 characters, unique per user. */
export const ProfileName = z.string().trim().min(1).max(100);

/** POST /v1/profiles. */
export const ProfileCreate = z
  .object({
    name: ProfileName,
    ...z.object(ProfileSettingsFields).partial().shape,
  })
  .strict()
  .meta({ id: "ProfileCreate" });
export type ProfileCreate = z.infer<typeof ProfileCreate>;

/** PUT /v1/profiles/{id}: the fields given replace the stored ones; `null` clears an optional limit. */
export const ProfileUpdate = z
  .object({
    name: ProfileName.optional(),
    description: ProfileSettingsFields.description.optional(),
    allowed_tools: ProfileSettingsFields.allowed_tools.optional(),
    denied_tools: ProfileSettingsFields.denied_tools.optional(),
    permission_mode: ProfileSettingsFields.permission_mode.optional(),
    model: ProfileSettingsFields.model.nullable().optional(),
    max_turns: ProfileSettingsFields.max_turns.nullable().optional(),
    max_budget_usd: ProfileSettingsFields.max_budget_usd.nullable().optional(),
    one_shot: ProfileSettingsFields.one_shot.optional(),
    ttl_seconds: ProfileSettingsFields.ttl_seconds.nullable().optional(),
    environment: ProfileSettingsFields.environment.optional(),
    mcp_servers: ProfileSettingsFields.mcp_servers.optional(),
  })
  .strict()
  .meta({ id: "ProfileUpdate" });
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

/**
 * The effective settings of a profile or session: every field present, limits `null` when unset.
 * In answers, `environment` values and MCP `headers`/`env` values are `REDACTED_SECRET`.
 */
export const ProfileSettings = z
  .object({
    description: z.string(),
    allowed_tools: z.array(z.string()),
    denied_tools: z.array(z.string()),
    permission_mode: PermissionMode,
    model: z.string().nullable(),
    max_turns: z.int().nullable(),
    max_budget_usd: z.number().nullable(),
    one_shot: z.boolean(),
    ttl_seconds: z.int().nullable(),
    environment: z.record(z.string(), z.string()),
    mcp_servers: z.record(z.string(), McpServer),
  })
  .meta({ id: "ProfileSettings" });
export type ProfileSettings = z.infer<typeof ProfileSettings>;

/** A stored profile as the API returns it. */
export const Profile = z
  .object({
    id: Id,
    name: z.string(),
    is_default: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    ...ProfileSettings.shape,
  })
  .meta({ id: "Profile" });
export type Profile = z.infer<typeof Profile>;

/** One profile, enveloped as the product's client reads it: create, read, update, default, capture. */
export const ProfileAnswer = z.object({ profile: Profile }).meta({ id: "ProfileAnswer" });

/** GET /v1/profiles. */
export const ProfileList = z.object({ profiles: z.array(Profile) }).meta({ id: "ProfileList" });

/** DELETE /v1/profiles/{id}. */
export const ProfileDeleted = z.object({ deleted: z.literal(true) }).meta({ id: "ProfileDeleted" });

/** POST /v1/sessions/{id}/capture-profile. */
export const CaptureProfile = z
  .object({ name: ProfileName, description: ProfileSettingsFields.description.optional() })
  .strict()
  .meta({ id: "CaptureProfile" });
