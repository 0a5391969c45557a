import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { SignJWT, importJWK } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../../worker/app.ts";
import type { Env } from "../../platform/env.ts";
import { call, mintToken, newUser, registeredUser } from "./helpers.ts";

/** Signs a token the way the external identity provider would. */
async function idpToken(
  claims: { sub: string; email: string; email_verified?: boolean },
  overrides: { issuer?: string; audience?: string } = {},
): Promise<string> {
  const key = await importJWK(JSON.parse(env.TEST_IDP_PRIVATE_JWK), "RS256");
  return new SignJWT({ email: claims.email, ...(claims.email_verified === undefined ? {} : { email_verified: claims.email_verified }) })
    .setProtectedHeader({ alg: "RS256", kid: "idp-key-1" })
    .setSubject(claims.sub)
    .setIssuer(overrides.issuer ?? env.AUTH_ISSUER!)
    .setAudience(overrides.audience ?? env.AUTH_AUDIENCE!)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key);
}

describe("identity", () => {
  it("refuses requests without a token with 401 in the error shape", async () => {
    const answer = await call("GET", "/v1/profiles");
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: "unauthorized", message: "missing bearer token" });
  });

  it("refuses tampered, expired, wrongly-signed and malformed tokens with 401", async () => {
    const { user, token } = await registeredUser();
    const [header, payload, signature] = token.split(".");
    const forgedPayload = btoa(JSON.stringify({ sub: "someone-else", email: user.email, exp: 9_999_999_999 }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const cases = {
      tampered: `${header}.${forgedPayload}.${signature}`,
      expired: await mintToken(user, { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: Math.floor(Date.now() / 1000) - 3600 }),
      wronglySigned: await mintToken(user, { secret: "not-the-platform-secret-at-all-0123456789" }),
      malformed: "not.a.jwt",
      unsigned: `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${payload}.`,
    };
    for (const [name, bad] of Object.entries(cases)) {
      const answer = await call("GET", "/v1/profiles", { token: bad });
      expect(answer.status, name).toBe(401);
      expect(answer.body.error, name).toBe("unauthorized");
    }
    // The genuine token still works.
    expect((await call("GET", "/v1/profiles", { token })).status).toBe(200);
  });

  it("accepts tokens from the external identity provider (JWKS) and checks issuer and audience", async () => {
    const user = newUser();
    const good = await idpToken(user);
    expect((await call("POST", "/v1/register", { token: good })).status).toBe(200);
    expect((await call("GET", "/v1/auth/claude/status", { token: good })).status).toBe(200);

    expect((await call("GET", "/v1/auth/claude/status", { token: await idpToken(user, { issuer: "https://evil.example/" }) })).status).toBe(
      401,
    );
    expect((await call("GET", "/v1/auth/claude/status", { token: await idpToken(user, { audience: "another-app" }) })).status).toBe(401);
  });

  it("registers identity-provider users only when the token does not say email_verified: false", async () => {
    const unverified = newUser();
    const refused = await call("POST", "/v1/register", { token: await idpToken({ ...unverified, email_verified: false }) });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("email_not_verified");
    expect((await call("GET", "/v1/profiles", { token: await idpToken(unverified) })).body.error).toBe("not_registered");
    expect((await call("POST", "/v1/register", { token: await idpToken({ ...newUser(), email_verified: true }) })).status).toBe(200);
  });

  it("with AUTH_JWKS_URL but no AUTH_ISSUER or AUTH_AUDIENCE, serves nothing and says why", async () => {
    const app = createApp();
    const user = newUser();
    const token = await idpToken(user, { issuer: "https://anyone.example/", audience: "any-app" });
    for (const missing of ["AUTH_ISSUER", "AUTH_AUDIENCE"] as const) {
      const misconfigured = { ...(env as unknown as Env), [missing]: "" };
      for (const [path, headers] of [
        ["/healthz", {}],
        ["/v1/profiles", { authorization: `Bearer ${token}` }],
      ] as const) {
        const ctx = createExecutionContext();
        const response = await app.fetch(new Request(`http://platform.test${path}`, { headers }), misconfigured, ctx);
        await waitOnExecutionContext(ctx);
        expect(response.status, `${missing} ${path}`).toBe(503);
        expect(await response.json()).toEqual({
          error: "server_misconfigured",
          message: `AUTH_JWKS_URL is set, so ${missing} must be set too`,
        });
      }
    }
  });

  it("answers 403 not_registered to a valid but unregistered user", async () => {
    const token = await mintToken(newUser());
    for (const [method, path] of [
      ["GET", "/v1/profiles"],
      ["GET", "/v1/sessions"],
      ["DELETE", "/v1/register"],
    ] as const) {
      const answer = await call(method, path, { token });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error).toBe("not_registered");
    }
  });

  it("registers the caller on the credential routes (the product's client never calls /v1/register first), under the same domain rule", async () => {
    const statusFirst = await mintToken(newUser());
    expect((await call("GET", "/v1/auth/claude/status", { token: statusFirst })).body).toEqual({
      has_credentials: false,
      credential_type: null,
      created_at: null,
      simulated_model: false,
    });
    const profiles = (await call("GET", "/v1/profiles", { token: statusFirst })).body.profiles;
    expect(profiles.map((p: any) => p.name)).toEqual(["Default", "Full Permissions"]);
    const registeredAt = (await call("POST", "/v1/register", { token: statusFirst, headers: { "content-type": "application/json" } })).body
      .registered_at;
    expect(typeof registeredAt).toBe("string");

    const keyFirst = await mintToken(newUser());
    const stored = await call("POST", "/v1/auth/claude/apikey", { token: keyFirst, body: { api_key: "sk-ant-api03-implicit-0123456789" } });
    expect(stored.status).toBe(200);
    expect((await call("GET", "/v1/auth/claude/status", { token: keyFirst })).body.has_credentials).toBe(true);

    const outsider = await call("GET", "/v1/auth/claude/status", { token: await mintToken(newUser("gmail.test")) });
    expect(outsider.status).toBe(403);
    expect(outsider.body.error).toBe("email_domain_not_allowed");
    const unverified = await call("POST", "/v1/auth/claude/start", { token: await idpToken({ ...newUser(), email_verified: false }) });
    expect(unverified.body.error).toBe("email_not_verified");
  });
});
