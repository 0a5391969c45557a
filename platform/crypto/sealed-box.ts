/**
 * Encryption at rest for credentials and profile secrets: AES-256-GCM (WebCrypto) under a
 * master key from the `CREDENTIALS_KEY` secret. Each ciphertext names the key id it was
 * sealed with, so the key can be rotated: put the new key in `CREDENTIALS_KEY`, move the old
 * one to `CREDENTIALS_OLD_KEYS`, and old rows still open (and are re-sealed on next write).
 * The additional data binds a ciphertext to its owner and purpose, so a row copied to
 * another user does not decrypt.
 */
import type { Env } from "../env.ts";
import { ApiError } from "../errors.ts";
import { fromBase64, randomBytes, sha256Hex, toBase64Url } from "./encoding.ts";

/** Format marker of sealed strings: `v1.<key id>.<iv>.<ciphertext>`. */
const FORMAT = "v1";
/** GCM's recommended nonce length. */
const IV_BYTES = 12;

/** A key the platform can open ciphertexts with; the first of a keyring also seals. */
interface KeyEntry {
  id: string;
  key: CryptoKey;
}

/** The current key plus any retired ones still needed to read old rows. */
export interface Keyring {
  current: KeyEntry;
  byId: Map<string, KeyEntry>;
}

/** A sealed value and the id of the key that sealed it (stored beside it). */
export interface Sealed {
  ciphertext: string;
  keyId: string;
}

const keyringCache = new Map<string, Promise<Keyring>>();

/** The keyring described by the environment (cached per isolate). */
export function keyringFrom(env: Env): Promise<Keyring> {
  if (!env.CREDENTIALS_KEY) {
    throw new ApiError(503, "server_misconfigured", "CREDENTIALS_KEY is not configured");
  }
  const cacheKey = `${env.CREDENTIALS_KEY}|${env.CREDENTIALS_OLD_KEYS ?? ""}`;
  let ring = keyringCache.get(cacheKey);
  if (!ring) {
    ring = buildKeyring(env.CREDENTIALS_KEY, env.CREDENTIALS_OLD_KEYS);
    ring.catch(() => keyringCache.delete(cacheKey));
    keyringCache.set(cacheKey, ring);
  }
  return ring;
}

async function buildKeyring(current: string, old: string | undefined): Promise<Keyring> {
  const entries = [current, ...(old ?? "").split(",")].map((s) => s.trim()).filter(Boolean);
  const parsed = await Promise.all(entries.map(importKeySpec));
  const byId = new Map(parsed.map((entry) => [entry.id, entry]));
  return { current: parsed[0]!, byId };
}

/** Parses `<key id>:<base64 32 bytes>` or a bare base64 key (its id is then derived from it). */
async function importKeySpec(spec: string): Promise<KeyEntry> {
  const colon = spec.indexOf(":");
  const material = colon >= 0 ? spec.slice(colon + 1) : spec;
  let raw: Uint8Array;
  try {
    raw = fromBase64(material);
  } catch {
    throw new ApiError(503, "server_misconfigured", "credentials key is not base64");
  }
  if (raw.byteLength !== 32) throw new ApiError(503, "server_misconfigured", "credentials key must be 32 bytes");
  const id = colon >= 0 ? spec.slice(0, colon) : `k${(await sha256Hex(material)).slice(0, 8)}`;
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id, key };
}

/** Encrypts `plaintext` under the current key, bound to `context` (e.g. `credential:<user id>`). */
export async function seal(ring: Keyring, plaintext: string, context: string): Promise<Sealed> {
  const iv = randomBytes(IV_BYTES);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    ring.current.key,
    new TextEncoder().encode(plaintext),
  );
  const sealed = [FORMAT, ring.current.id, toBase64Url(iv), toBase64Url(new Uint8Array(ciphertext))].join(".");
  return { ciphertext: sealed, keyId: ring.current.id };
}

/** Decrypts a value sealed by `seal` with the same `context`; throws if tampered or the key is gone. */
export async function open(ring: Keyring, sealed: string, context: string): Promise<string> {
  const [format, keyId, iv, ciphertext] = sealed.split(".");
  if (format !== FORMAT || !keyId || !iv || !ciphertext) throw new Error("unrecognised ciphertext format");
  const entry = ring.byId.get(keyId);
  if (!entry) throw new Error(`ciphertext sealed with unknown key id ${keyId}`);
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: new TextEncoder().encode(context) },
    entry.key,
    fromBase64(ciphertext),
  );
  return new TextDecoder().decode(plaintext);
}
