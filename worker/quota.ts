/** Per-user rate limits (docs/api.md §9), counted exactly by the user's `UserQuota` Durable Object. */
import type { Env } from "../platform/env.ts";
import { ApiError } from "../platform/errors.ts";

/** A limit: at most `limit` uses per `windowSeconds`. */
export interface RateLimit {
  bucket: string;
  limit: number;
  windowSeconds: number;
}

/** Registration and deregistration: 10 per minute per user. */
export const REGISTRATION_RATE: RateLimit = { bucket: "registration", limit: 10, windowSeconds: 60 };

/** Session creation: 10 per minute per user. */
export const SESSION_CREATE_RATE: RateLimit = { bucket: "session creation", limit: 10, windowSeconds: 60 };

/** Counts one use against `rate` for `userId`; 429 `rate_limited` with Retry-After when exhausted. */
export async function consumeRate(env: Env, userId: string, rate: RateLimit): Promise<void> {
  const quota = env.USER_QUOTA.get(env.USER_QUOTA.idFromName(userId));
  const decision = await quota.take(rate.bucket, rate.limit, rate.windowSeconds * 1000);
  if (!decision.allowed) {
    throw new ApiError(
      429,
      "rate_limited",
      `at most ${rate.limit} ${rate.bucket} requests per ${rate.windowSeconds} s; retry in ${decision.retryAfterSeconds} s`,
      { "Retry-After": String(decision.retryAfterSeconds) },
    );
  }
}
