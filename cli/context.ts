/** What every command receives: the client for the configured platform, the output, the streams. */
import { createClient, type AiSessionsClient } from "../sdk/index.ts";
import { UsageError, type GlobalOptions } from "./args.ts";
import type { Io } from "./io.ts";
import { Output } from "./output.ts";
import { styleFor, type Style } from "./style.ts";

/** Where the platform is when neither --url nor AI_SESSIONS_URL says (what `npm start` serves). */
export const DEFAULT_URL = "http://127.0.0.1:8787";

/** The resolved connection settings. */
export interface CliConfig {
  url: string;
  token: string;
  /** The org id for the org commands (--org or AI_SESSIONS_ORG); null when neither says. */
  org: string | null;
}

/** Settings from flags first, then the environment. */
export function resolveConfig(globals: GlobalOptions, env: Io["env"]): CliConfig {
  const url = globals.url ?? env.AI_SESSIONS_URL ?? DEFAULT_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url '${url}' is not a URL`);
  }
  const token = globals.token ?? env.AI_SESSIONS_TOKEN;
  if (!token)
    throw new UsageError("no token: pass --token or set AI_SESSIONS_TOKEN (locally: npm run -s token -- --email you@example.com)");
  return { url, token, org: globals.org ?? env.AI_SESSIONS_ORG ?? null };
}

/** A command's world. */
export interface CommandContext {
  io: Io;
  out: Output;
  style: Style;
  config: CliConfig;
  client: AiSessionsClient;
}

/** Builds the context for one run. */
export function createContext(io: Io, globals: GlobalOptions): CommandContext {
  const config = resolveConfig(globals, io.env);
  return {
    io,
    out: new Output(io, globals.json),
    style: styleFor(io.stdout, io.env),
    config,
    client: createClient({ baseUrl: config.url, token: config.token }),
  };
}
