/** Registration (API.md §2): joining the platform, and leaving it. */
import type { Hono } from "hono";
import { Deregistered, Registered } from "../../schemas/account.ts";
import { emailDomainAllowed, readConfig } from "../../platform/config.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { insertProfileStatement, STARTER_PROFILES } from "../../platform/db/profiles.ts";
import { deleteUser, findUser, insertUserIfAbsent } from "../../platform/db/users.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { consumeRate, REGISTRATION_RATE } from "../quota.ts";
import { sessionStub } from "../sessions/start-session.ts";

export function registrationRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/register",
      summary: "Register the caller; creates the Default and Full Permissions profiles. Idempotent.",
      tag: "account",
      auth: "user",
      response: Registered,
      errors: ["email_domain_not_allowed", "email_not_verified", "rate_limited"],
    },
    async (c) => {
      const user = c.var.user;
      await consumeRate(c.env, user.id, REGISTRATION_RATE);
      if (!user.email || !emailDomainAllowed(readConfig(c.env), user.email)) {
        throw new ApiError(403, "email_domain_not_allowed", "your email domain may not register on this platform");
      }
      // The domain rule means nothing for an address the identity provider has not verified.
      if (!user.emailVerified) throw new ApiError(403, "email_not_verified", "your identity provider says this email address is not verified; verify it, then register");
      const existing = await findUser(c.env.DB, user.id);
      if (existing) return c.json({ registered: true as const, registered_at: existing.registered_at });

      const now = new Date().toISOString();
      const ring = await keyringFrom(c.env);
      const starters = await Promise.all(
        STARTER_PROFILES.map((starter, index) =>
          insertProfileStatement(c.env.DB, ring, { id: newId(), userId: user.id, name: starter.name, isDefault: index === 0, settings: starter.settings, now }),
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
      return c.json({ registered: true as const, registered_at: registered.registered_at });
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/register",
      summary: "Deregister: ends all the caller's sessions and deletes credentials and profiles.",
      tag: "account",
      auth: "registered",
      response: Deregistered,
      errors: ["rate_limited"],
    },
    async (c) => {
      const userId = c.var.user.id;
      await consumeRate(c.env, userId, REGISTRATION_RATE);
      // End every live session first (their sandboxes stop, clients see session_end), then
      // forget the user: credentials, profiles and the session index go with them.
      const quota = c.env.USER_QUOTA.get(c.env.USER_QUOTA.idFromName(userId));
      const live = await quota.liveSessionIds();
      await Promise.all(live.map((id) => sessionStub(c.env, id).terminate("user_requested", "the user deregistered")));
      await c.env.DB.prepare("DELETE FROM sessions WHERE user_id = ?").bind(userId).run();
      await deleteUser(c.env.DB, userId);
      return c.json({ deregistered: true as const });
    },
  );
}
