/**
 * Who owns a session, as the session index and the per-owner quota see it: a user's id, or
 * `org:<id>` for sessions an organisation started through its API keys.
 */
import type { Context } from "hono";
import type { SessionRow } from "../../platform/db/sessions.ts";
import { ORG_OWNER_PREFIX } from "../auth/jwt.ts";
import type { AppEnv } from "../http/app-env.ts";
import { findOwned } from "./session-views.ts";

/** The owner id under which an org's sessions are counted and listed. */
export const orgOwner = (orgId: string) => `${ORG_OWNER_PREFIX}${orgId}`;

/** The caller's session row, or 404 (unknown and foreign sessions look the same). */
export function ownedSession(c: Context<AppEnv>, id: string): Promise<SessionRow> {
  return findOwned(c.env, id, c.var.user.id);
}
