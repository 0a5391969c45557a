/** The Hono environment every route shares: bindings plus what middleware learned. */
import type { Env } from "../env.ts";

/** The caller, once their token has been verified. */
export interface AuthUser {
  /** The JWT's `sub`: the user's stable id. */
  id: string;
  /** The JWT's `email` claim, used for registration. */
  email: string | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { user: AuthUser };
}
