/** Hono middleware that establishes who is calling. */
import type { MiddlewareHandler } from "hono";
import { findUser } from "../../platform/db/users.ts";
import { registerUser } from "./register-user.ts";
import { redeemSocketTicket, socketTicket } from "./ws-ticket.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { TokenError, bearerToken, verifyUserToken } from "./jwt.ts";

/**
 * For session sockets: a valid single-use ticket (`?ticket=`) identifies the user, for the
 * session in the path; without one, `requireUser` decides.
 */
export const requireUserOrTicket: MiddlewareHandler<AppEnv> = async (c, next) => {
  const ticket = socketTicket(c.req.raw);
  if (ticket === null) return requireUser(c, next);
  c.set("user", await redeemSocketTicket(c.env, ticket, c.req.param("id") ?? null));
  await next();
};

/** 401 unless the request carries a valid user token; sets `c.var.user`. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.raw);
  if (!token) throw new ApiError(401, "unauthorized", "missing bearer token", { "WWW-Authenticate": "Bearer" });
  try {
    c.set("user", await verifyUserToken(c.env, token));
  } catch (error) {
    if (error instanceof TokenError) throw new ApiError(401, "unauthorized", error.message, { "WWW-Authenticate": "Bearer" });
    throw error;
  }
  await next();
};

/** 403 `not_registered` unless the verified user has registered. Runs after `requireUser`. */
export const requireRegistered: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = await findUser(c.env.DB, c.var.user.id);
  if (!user) throw new ApiError(403, "not_registered", "register first: POST /v1/register");
  await next();
};

/**
 * For the credential routes: registers the verified user if they have not registered (same
 * domain rule and rate limit as `POST /v1/register`) instead of answering 403. Runs after `requireUser`.
 */
export const registerImplicitly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!(await findUser(c.env.DB, c.var.user.id))) await registerUser(c);
  await next();
};
