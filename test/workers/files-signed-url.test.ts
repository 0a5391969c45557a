/** Signed blob URLs and the path rules of file transfers, as units and through the blob routes. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sanitizeFilename, workspaceSegments } from "../../schemas/files.ts";
import { blobKey, parseBlobKey } from "../../platform/files/blob-keys.ts";
import { blobSigningKey, signBlobUrl, verifyBlobUrl, type BlobGrant } from "../../platform/files/signed-url.ts";
import { fetchUrl, patternBytes, putBytes } from "./files-helpers.ts";

const BASE = "http://platform.test";
const KEY = blobKey({ sessionId: "sess_1", kind: "uploads", id: "up_1", name: "a b.txt" });
const inOneMinute = () => Math.floor(Date.now() / 1000) + 60;

async function signed(
  grant: Partial<BlobGrant> = {},
  secrets: { CREDENTIALS_KEY?: string; FILES_SIGNING_KEY?: string } = env,
): Promise<URL> {
  const key = await blobSigningKey(secrets);
  return new URL(await signBlobUrl(key, BASE, { method: "PUT", key: KEY, expiresAt: inOneMinute(), length: 5, ...grant }));
}

async function verify(url: URL, method: "GET" | "PUT" = "PUT", now?: number) {
  return verifyBlobUrl(await blobSigningKey(env), method, url, now);
}

describe("signed URLs", () => {
  it("verify what they sign: method, key, expiry and length", async () => {
    const url = await signed();
    expect(url.pathname).toBe("/v1/io/blobs/sessions/sess_1/uploads/up_1/a%20b.txt");
    const verdict = await verify(url);
    expect(verdict).toEqual({ ok: true, grant: { method: "PUT", key: KEY, expiresAt: Number(url.searchParams.get("exp")), length: 5 } });
    const get = await signed({ method: "GET", length: undefined });
    expect(get.searchParams.has("len")).toBe(false);
    expect((await verify(get, "GET")).ok).toBe(true);
  });

  it("any tampered part is refused", async () => {
    const url = await signed();
    const tampered = (change: (u: URL) => void) => {
      const copy = new URL(url);
      change(copy);
      return copy;
    };
    const variants: [string, URL][] = [
      ["other object", tampered((u) => (u.pathname = u.pathname.replace("a%20b.txt", "c.txt")))],
      ["other session", tampered((u) => (u.pathname = u.pathname.replace("sess_1", "sess_2")))],
      ["later expiry", tampered((u) => u.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 3600)))],
      ["larger length", tampered((u) => u.searchParams.set("len", "6"))],
      ["length dropped", tampered((u) => u.searchParams.delete("len"))],
      ["signature flipped", tampered((u) => u.searchParams.set("sig", flip(u.searchParams.get("sig")!)))],
      ["signature missing", tampered((u) => u.searchParams.delete("sig"))],
      ["signature not base64", tampered((u) => u.searchParams.set("sig", "!!!"))],
      ["expiry not a number", tampered((u) => u.searchParams.set("exp", "1e12"))],
    ];
    for (const [what, variant] of variants) {
      const verdict = await verify(variant);
      expect(verdict.ok, what).toBe(false);
      if (!verdict.ok) expect(verdict.refusal.code, what).toBe("invalid_signature");
    }
  });

  it("is bound to its method", async () => {
    expect((await verify(await signed(), "GET")).ok).toBe(false);
    expect((await verify(await signed({ method: "GET", length: undefined }), "PUT")).ok).toBe(false);
  });

  it("expires", async () => {
    const url = await signed({ expiresAt: Math.floor(Date.now() / 1000) + 900 });
    expect((await verify(url, "PUT", Date.now() + 899_000)).ok).toBe(true);
    const late = await verify(url, "PUT", Date.now() + 901_000);
    expect(late).toEqual({ ok: false, refusal: { code: "url_expired", message: expect.any(String) } });
  });

  it("a URL signed under another secret is refused; FILES_SIGNING_KEY takes precedence over CREDENTIALS_KEY", async () => {
    const foreign = await signed({}, { CREDENTIALS_KEY: "another-deployment:" + btoa("x".repeat(32)) });
    expect((await verify(foreign)).ok).toBe(false);
    const dedicated = await signed({}, { CREDENTIALS_KEY: env.CREDENTIALS_KEY, FILES_SIGNING_KEY: "a-dedicated-signing-secret" });
    expect((await verify(dedicated)).ok).toBe(false);
    const dedicatedKey = await blobSigningKey({ FILES_SIGNING_KEY: "a-dedicated-signing-secret" });
    expect((await verifyBlobUrl(dedicatedKey, "PUT", dedicated)).ok).toBe(true);
    // Without any secret nothing can be signed.
    expect(() => blobSigningKey({})).toThrow(/CREDENTIALS_KEY/);
  });

  it("through the routes: tampered 403, expired 403, wrong method 403, all in the error shape", async () => {
    const valid = await signed({ key: blobKey({ sessionId: "sess_r", kind: "uploads", id: "up_r", name: "r.txt" }) });
    const tamperedSig = new URL(valid);
    tamperedSig.searchParams.set("sig", flip(valid.searchParams.get("sig")!));
    const expired = await signed({
      key: blobKey({ sessionId: "sess_r", kind: "uploads", id: "up_r", name: "r.txt" }),
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    for (const [url, code] of [
      [tamperedSig, "invalid_signature"],
      [expired, "url_expired"],
    ] as const) {
      const answer = await putBytes(url.toString(), patternBytes(5));
      expect(answer.status).toBe(403);
      expect(await answer.json()).toEqual({ error: code, message: expect.any(String) });
    }
    const wrongMethod = await fetchUrl(valid.toString());
    expect(wrongMethod.status).toBe(403);
    expect((await putBytes(valid.toString(), patternBytes(5))).status).toBe(200);
    // A valid signature over a key the platform never builds is refused too.
    const odd = await signed({ key: "elsewhere/secret.txt" });
    expect((await putBytes(odd.toString(), patternBytes(5))).status).toBe(403);
  });
});

describe("path rules", () => {
  it("upload names keep only a plain last segment", () => {
    expect(sanitizeFilename("report.pdf")).toBe("report.pdf");
    expect(sanitizeFilename("../../x/.env")).toBe(".env");
    expect(sanitizeFilename("dir\\sub\\ü.txt")).toBe("ü.txt");
    expect(sanitizeFilename("e\u0301.txt")).toBe("\u00e9.txt");
    for (const bad of ["", " ", ".", "..", "a/", "tab\there", "del\u007f", "c1\u0085", "é".repeat(128)])
      expect(sanitizeFilename(bad), JSON.stringify(bad)).toBeNull();
  });

  it("workspace paths resolve `.` and `..` and never leave the workspace", () => {
    expect(workspaceSegments("out/report.txt")).toEqual(["out", "report.txt"]);
    expect(workspaceSegments("/workspace/out/../x//y/./z")).toEqual(["x", "y", "z"]);
    for (const bad of ["/workspace", "/", "..", "../x", "x/../..", "/etc/passwd", "/workspace2/x", "a\u0000b"])
      expect(workspaceSegments(bad), bad).toBeNull();
  });

  it("blob keys parse only in the shape the platform builds", () => {
    expect(parseBlobKey(KEY)).toEqual({ sessionId: "sess_1", kind: "uploads", id: "up_1", name: "a b.txt" });
    for (const bad of [
      "sessions/s/archives/i/x",
      "sessions/s/uploads/i",
      "sessions/s/uploads/i/x/y",
      "other/s/uploads/i/x",
      "sessions/s/uploads/i/..",
      "sessions/s!/uploads/i/x",
    ]) {
      expect(parseBlobKey(bad), bad).toBeNull();
    }
  });
});

/** The signature with its first character changed. */
function flip(sig: string): string {
  return (sig[0] === "A" ? "B" : "A") + sig.slice(1);
}
