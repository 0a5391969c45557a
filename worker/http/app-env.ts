/** The Hono environment every route shares: bindings plus what middleware learned. */
import type { Env } from "../../platform/env.ts";

/** The caller, once their token has been verified. */
export interface AuthUser {
  /** The JWT's `sub`: the user's stable id. */
  id: string;
  /** The JWT's `email` claim, used for registration. */
  email: string | null;
  /** When the token expires (epoch ms): a WebSocket opened with it is closed then (4001). */
  expiresAt: number | null;
}

/** An automation caller: the org its API key belongs to. */
export interface AuthOrg {
  id: string;
  keyId: string;
  /** When the key expires (epoch ms): a socket opened with it is closed then (4001). */
  expiresAt: number | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { user: AuthUser; org: AuthOrg };
}
