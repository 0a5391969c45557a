/**
 * Verifying user tokens with jose. Two sources of trust (docs/api.md §1):
 * HS256 tokens the operator mints under `JWT_SECRET`, and tokens from an external identity
 * provider verified against its JWKS (`AUTH_JWKS_URL`, `AUTH_ISSUER`, `AUTH_AUDIENCE`).
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import { identityConfigProblem } from "../../platform/config.ts";
import type { Env } from "../../platform/env.ts";
import type { AuthUser } from "../http/app-env.ts";

/** Prefix of the owner ids of org sessions (`org:<org id>`), reserved from user subjects. */
export const ORG_OWNER_PREFIX = "org:";

/** Tolerated clock difference between the token issuer and us. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** JWKS fetchers by URL: jose caches keys inside each, so one per isolate is enough. */
const jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** Why a token was refused; the message is safe to show the caller. */
export class TokenError extends Error {}

/** Verifies `token` and returns the user it names, or throws `TokenError`. */
export async function verifyUserToken(env: Env, token: string): Promise<AuthUser> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new TokenError("malformed token");
  }
  const payload = alg === "HS256" ? await verifyWithSecret(env, token) : await verifyWithJwks(env, token);
  if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 256) {
    throw new TokenError("token has no subject");
  }
  // `org:` owner ids name organisations' sessions; no user may take one.
  if (payload.sub.startsWith(ORG_OWNER_PREFIX)) throw new TokenError("token subject is reserved");
  const email = typeof payload.email === "string" ? payload.email : null;
  // Only an explicit `false` counts as unverified: operator-minted tokens carry no such claim.
  const emailVerified = payload.email_verified !== false;
  return { id: payload.sub, email, emailVerified, expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : null };
}

async function verifyWithSecret(env: Env, token: string): Promise<JWTPayload> {
  if (!env.JWT_SECRET) throw new TokenError("HS256 tokens are not accepted by this deployment");
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(env.JWT_SECRET), {
      algorithms: ["HS256"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "sub"],
    });
    return payload;
  } catch (error) {
    throw new TokenError(describeJoseError(error));
  }
}

async function verifyWithJwks(env: Env, token: string): Promise<JWTPayload> {
  if (!env.AUTH_JWKS_URL) throw new TokenError("token algorithm not accepted");
  // Never verify without issuer and audience (the app refuses to serve then, too).
  if (identityConfigProblem(env)) throw new TokenError("identity provider tokens are not accepted: the deployment is misconfigured");
  let jwks = jwksByUrl.get(env.AUTH_JWKS_URL);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(env.AUTH_JWKS_URL));
    jwksByUrl.set(env.AUTH_JWKS_URL, jwks);
  }
  try {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "sub"],
    });
    return payload;
  } catch (error) {
    throw new TokenError(describeJoseError(error));
  }
}

function describeJoseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "token expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "token signature invalid";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return "token claims invalid";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "token signed by an unknown key";
    default:
      return "token invalid";
  }
}

/** The bearer token of a request: `Authorization: Bearer` or, for WebSocket upgrades, `?token=`. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ?? null;
  }
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
    return new URL(request.url).searchParams.get("token");
  }
  return null;
}
