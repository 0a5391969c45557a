/** Registration (docs/api.md §2): joining the platform, and leaving it. */
import type { Hono } from "hono";
import { Deregistered, Registered } from "../../schemas/account.ts";
import { deleteUser } from "../../platform/db/users.ts";
import { registerUser } from "../auth/register-user.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
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
    async (c) => c.json({ registered: true as const, registered_at: await registerUser(c) }),
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
