/**
 * The sandbox's two credentials: a runner-channel token and a model-gateway token. Both are
 * random, minted per sandbox start, stored only as SHA-256 hashes, and die with the session
 * (or at their expiry), so a leaked token is worth little and never an Anthropic credential.
 */
import { randomBytes, sha256Hex, toBase64Url } from "../../platform/crypto/encoding.ts";

/** A fresh token with a readable prefix (`rt_` runner, `gt_` gateway). */
export function mintToken(prefix: "rt" | "gt"): string {
  return `${prefix}_${toBase64Url(randomBytes(32))}`;
}

/** The stored form of a token. */
export function hashToken(token: string): Promise<string> {
  return sha256Hex(token);
}

/** Constant-time comparison of two equal-length hex digests. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Whether `token` is the one whose stored form is `hash` (false when either is missing). */
export async function tokenMatches(token: string | null | undefined, hash: string | null): Promise<boolean> {
  return Boolean(token && hash && sameDigest(await hashToken(token), hash));
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(authorization: string | null): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1] ?? null;
}
