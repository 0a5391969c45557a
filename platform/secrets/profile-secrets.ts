/**
 * The secret half of a profile's or session's settings (`environment` values, MCP `headers`
 * and `env` values): redacted in every answer, sealed wherever it is stored, and opened only
 * when the runner is configured. Profiles seal theirs in D1 (db/profiles.ts); a session seals
 * its copy in its Durable Object's state with the helpers here.
 */
import { REDACTED_SECRET, type McpServer, type ProfileSettings } from "../../schemas/profile.ts";
import { open, seal, type Keyring } from "../crypto/sealed-box.ts";

/** The part of the settings that holds secrets. */
export type SecretSettings = Pick<ProfileSettings, "environment" | "mcp_servers">;

const redactValues = (values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.keys(values).map((name) => [name, REDACTED_SECRET]));

function redactServer(server: McpServer): McpServer {
  if (server.type === "http") return server.headers ? { ...server, headers: redactValues(server.headers) } : server;
  return server.env ? { ...server, env: redactValues(server.env) } : server;
}

/** `settings` with every secret value replaced by `REDACTED_SECRET` (names kept). */
export function redactSecrets<T extends SecretSettings>(settings: T): T {
  return {
    ...settings,
    environment: redactValues(settings.environment),
    mcp_servers: Object.fromEntries(Object.entries(settings.mcp_servers).map(([name, server]) => [name, redactServer(server)])),
  };
}

/** `incoming` with each value that is the redaction marker replaced by `stored`'s value of that name (dropped when there is none). */
function restoreValues(
  incoming: Record<string, string> | undefined,
  stored: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!incoming) return incoming;
  const restored: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== REDACTED_SECRET) restored[name] = value;
    else if (stored?.[name] !== undefined) restored[name] = stored[name];
  }
  return restored;
}

function restoreServer(incoming: McpServer, stored: McpServer | undefined): McpServer {
  if (incoming.type === "http") {
    const headers = restoreValues(incoming.headers, stored?.type === "http" ? stored.headers : undefined);
    return headers ? { ...incoming, headers } : incoming;
  }
  const env = restoreValues(incoming.env, stored?.type === "stdio" ? stored.env : undefined);
  return env ? { ...incoming, env } : incoming;
}

/**
 * Settings a client sent, with redaction markers (which it read from an answer) put back to
 * the stored values they stand for, so a read-modify-write never stores the marker itself.
 */
export function restoreRedacted(incoming: SecretSettings, stored: SecretSettings): SecretSettings {
  return {
    environment: restoreValues(incoming.environment, stored.environment)!,
    mcp_servers: Object.fromEntries(
      Object.entries(incoming.mcp_servers).map(([name, server]) => [name, restoreServer(server, stored.mcp_servers[name])]),
    ),
  };
}

/** Binds a session's sealed secrets to that session. */
const sessionContext = (sessionId: string) => `session-secrets:${sessionId}`;

/** A session's settings as stored: secrets redacted in `settings`, their values in `sealedSecrets`. */
export interface SealedSessionSettings {
  settings: ProfileSettings;
  sealedSecrets: string;
}

/** Seals a session's secret settings for storage in its Durable Object. */
export async function sealSessionSettings(ring: Keyring, sessionId: string, settings: ProfileSettings): Promise<SealedSessionSettings> {
  const { environment, mcp_servers } = settings;
  const sealed = await seal(ring, JSON.stringify({ environment, mcp_servers } satisfies SecretSettings), sessionContext(sessionId));
  return { settings: redactSecrets(settings), sealedSecrets: sealed.ciphertext };
}

/** The session's full settings; `sealedSecrets` null means the settings were stored before sealing existed, in clear. */
export async function openSessionSettings(
  ring: Keyring,
  sessionId: string,
  stored: { settings: ProfileSettings; sealedSecrets?: string | null },
): Promise<ProfileSettings> {
  if (!stored.sealedSecrets) return stored.settings;
  const secrets = JSON.parse(await open(ring, stored.sealedSecrets, sessionContext(sessionId))) as SecretSettings;
  return { ...stored.settings, ...secrets };
}
