/**
 * Signed blob URLs (docs/api.md §7): `/v1/io/blobs/<key>?exp=<unix s>[&len=<bytes>]&sig=<HMAC>`.
 * The signature is the whole authorization, so it covers everything that grants something:
 * the method, the object key (which names the session), the expiry and, for uploads, the exact
 * length allowed. Changing any of them, or using the URL with another method, breaks it.
 *
 * The HMAC-SHA256 key is derived with HKDF from `FILES_SIGNING_KEY`, or from `CREDENTIALS_KEY`
 * under a label of its own, so no extra secret is needed and the sealing key is never used
 * directly for signing.
 */
import type { Env } from "../env.ts";
import { fromBase64, toBase64Url } from "../crypto/encoding.ts";

/** Path under which blobs are served. */
export const BLOB_PATH_PREFIX = "/v1/io/blobs/";

/** The methods a blob URL can grant. */
export type BlobMethod = "GET" | "PUT";

/** What one signed URL allows. */
export interface BlobGrant {
  method: BlobMethod;
  key: string;
  /** Unix seconds after which the URL is refused. */
  expiresAt: number;
  /** For PUT: the exact byte length the upload must have; absent: any length up to the file limit. */
  length?: number;
}

/** Why a URL was refused. */
export type BlobRefusal = { code: "invalid_signature" | "url_expired"; message: string };

// HKDF inputs: changing either invalidates every outstanding URL, which is what a new version means.
const HKDF_SALT = "ai-sessions/signed-blob-urls";
const HKDF_INFO = "hmac-sha256/v1";

const keyCache = new Map<string, Promise<CryptoKey>>();

/** The HMAC key for blob URLs (cached per isolate); throws when no secret is configured. */
export function blobSigningKey(env: Pick<Env, "FILES_SIGNING_KEY" | "CREDENTIALS_KEY">): Promise<CryptoKey> {
  const secret = env.FILES_SIGNING_KEY || env.CREDENTIALS_KEY;
  if (!secret) throw new Error("neither FILES_SIGNING_KEY nor CREDENTIALS_KEY is configured: cannot sign file URLs");
  let key = keyCache.get(secret);
  if (!key) {
    key = deriveKey(secret);
    key.catch(() => keyCache.delete(secret));
    keyCache.set(secret, key);
  }
  return key;
}

async function deriveKey(secret: string): Promise<CryptoKey> {
  const encoder = new TextEncoder();
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode(HKDF_SALT), info: encoder.encode(HKDF_INFO) },
    material,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

/** The bytes signed for a grant; JSON so no field can bleed into another. */
function canonical(grant: BlobGrant): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(["blob-v1", grant.method, grant.key, grant.expiresAt, grant.length ?? null]));
}

/** The blob's path, each key segment percent-encoded. */
export function blobPath(key: string): string {
  return BLOB_PATH_PREFIX + key.split("/").map(encodeURIComponent).join("/");
}

/** The object key of a blob path; null when the path is not one (or does not decode). */
export function keyOfBlobPath(pathname: string): string | null {
  if (!pathname.startsWith(BLOB_PATH_PREFIX)) return null;
  try {
    return pathname.slice(BLOB_PATH_PREFIX.length).split("/").map(decodeURIComponent).join("/");
  } catch {
    return null;
  }
}

/** A signed absolute URL for `grant`, on `base` (an origin, optionally with a path prefix). */
export async function signBlobUrl(key: CryptoKey, base: string, grant: BlobGrant): Promise<string> {
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, canonical(grant)));
  const url = new URL(base.replace(/\/$/, "") + blobPath(grant.key));
  url.searchParams.set("exp", String(grant.expiresAt));
  if (grant.length !== undefined) url.searchParams.set("len", String(grant.length));
  url.searchParams.set("sig", toBase64Url(signature));
  return url.toString();
}

const DIGITS = /^(0|[1-9][0-9]{0,15})$/;

/** Checks that `url` grants `method` now; the grant it carries, or why not. */
export async function verifyBlobUrl(
  key: CryptoKey,
  method: BlobMethod,
  url: URL,
  now = Date.now(),
): Promise<{ ok: true; grant: BlobGrant } | { ok: false; refusal: BlobRefusal }> {
  const invalid = {
    ok: false as const,
    refusal: { code: "invalid_signature" as const, message: "the URL's signature is invalid for this object and method" },
  };
  const objectKey = keyOfBlobPath(url.pathname);
  const exp = url.searchParams.get("exp") ?? "";
  const len = url.searchParams.get("len");
  const sig = url.searchParams.get("sig") ?? "";
  if (objectKey === null || !DIGITS.test(exp) || (len !== null && !DIGITS.test(len))) return invalid;
  let signature: Uint8Array;
  try {
    signature = fromBase64(sig);
  } catch {
    return invalid;
  }
  const grant: BlobGrant = { method, key: objectKey, expiresAt: Number(exp), ...(len !== null ? { length: Number(len) } : {}) };
  // crypto.subtle.verify compares in constant time.
  if (!(await crypto.subtle.verify("HMAC", key, signature, canonical(grant)))) return invalid;
  if (now >= grant.expiresAt * 1000)
    return { ok: false, refusal: { code: "url_expired", message: "the URL has expired; ask for a new one" } };
  return { ok: true, grant };
}
