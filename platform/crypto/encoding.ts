/** Byte encodings used by tokens and ciphertexts. */

/** Bytes → base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64 or base64url (padding optional) → bytes; throws on anything else. */
export function fromBase64(text: string): Uint8Array {
  const normal = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(normal + "=".repeat((4 - (normal.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** `n` cryptographically random bytes. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * An opaque, URL-safe, unguessable id: 144 bits of randomness. Never starting with `-`, which a
 * command line would read as an option (`ai-sessions sessions get -e90d…`): such a draw is redrawn
 * (1 draw in 64), which takes a fiftieth of a bit of its randomness.
 */
export function newId(): string {
  for (;;) {
    const id = toBase64Url(randomBytes(18));
    if (!id.startsWith("-")) return id;
  }
}

/** SHA-256 of a string, as lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
