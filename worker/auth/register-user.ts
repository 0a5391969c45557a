/**
 * Registering a verified user: the domain rule, the registration rate, the user row and their
 * starter profiles in one transaction. Used by `POST /v1/register` and, implicitly, by the
 * credential routes: the product's client runs `ai auth claude set-key|login|status` without
 * ever calling `/v1/register` (issue 11), so those routes register the caller the same way.
 */
import type { Context } from "hono";
import { emailDomainAllowed, readConfig } from "../../platform/config.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { insertProfileStatement, STARTER_PROFILES } from "../../platform/db/profiles.ts";
import { findUser, insertUserIfAbsent } from "../../platform/db/users.ts";
import { ApiError } from "../../platform/errors.ts";
import type { AppEnv } from "../http/app-env.ts";
import { consumeRate, REGISTRATION_RATE } from "../quota.ts";

/** Registers `c.var.user` unless already registered; answers when they registered. */
export async function registerUser(c: Context<AppEnv>): Promise<string> {
  const user = c.var.user;
  await consumeRate(c.env, user.id, REGISTRATION_RATE);
  if (!user.email || !emailDomainAllowed(readConfig(c.env), user.email)) {
    throw new ApiError(403, "email_domain_not_allowed", "your email domain may not register on this platform");
  }
  // The domain rule means nothing for an address the identity provider has not verified.
  if (!user.emailVerified)
    throw new ApiError(
      403,
      "email_not_verified",
      "your identity provider says this email address is not verified; verify it, then register",
    );
  const existing = await findUser(c.env.DB, user.id);
  if (existing) return existing.registered_at;

  const now = new Date().toISOString();
  const ring = await keyringFrom(c.env);
  const starters = await Promise.all(
    STARTER_PROFILES.map((starter, index) =>
      insertProfileStatement(c.env.DB, ring, {
        id: newId(),
        userId: user.id,
        name: starter.name,
        isDefault: index === 0,
        settings: starter.settings,
        now,
      }),
    ),
  );
  // One transaction: the user and their starter profiles appear together or not at all.
  // A racing duplicate registration makes the user insert a no-op and the profile inserts
  // fail on the unique name, rolling this batch back; the winner's row is then read below.
  try {
    await c.env.DB.batch([insertUserIfAbsent(c.env.DB, { id: user.id, email: user.email, registered_at: now }), ...starters]);
  } catch (error) {
    if (!String(error).includes("UNIQUE constraint failed")) throw error;
  }
  const registered = await findUser(c.env.DB, user.id);
  if (!registered) throw new ApiError(503, "try_again", "registration did not complete; retry");
  return registered.registered_at;
}
