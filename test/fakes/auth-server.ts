/**
 * Stand-ins for two outside services that cannot be reached from here, served on loopback:
 *
 * An external identity provider's JWKS (`GET /.well-known/jwks.json`): tokens signed with
 * its private key (handed to tests as a binding) are what Cloudflare Access or Auth0 would send.
 *
 * Anthropic's OAuth token endpoint (`POST /v1/oauth/token`).
 * It speaks the same protocol: `authorization_code` grants with PKCE. A code is accepted
 * only when it is `good-<S256 challenge of the verifier sent>`: a test builds it from the
 * challenge in the authorize URL, so success proves the platform kept and sent the right
 * verifier. Anything else is refused the way the real endpoint refuses.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";

/** Issuer and audience the fake identity provider's tokens carry. */
export const FAKE_IDP = { issuer: "https://idp.example/", audience: "ai-sessions-test" };

/** Running fakes: base URL, the identity provider's private signing key, and a way to stop. */
export interface FakeAuthServer {
  url: string;
  idpPrivateJwk: JWK;
  close(): Promise<void>;
}

/** Starts the fakes on a free loopback port. */
export async function startFakeAuthServer(): Promise<FakeAuthServer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "idp-key-1", alg: "RS256", use: "sig" };
  const idpPrivateJwk = { ...(await exportJWK(privateKey)), kid: "idp-key-1", alg: "RS256" };
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (req.method === "GET" && req.url === "/.well-known/jwks.json") return send(200, { keys: [publicJwk] });
      if (req.method !== "POST" || req.url !== "/v1/oauth/token") return send(404, { error: "not_found" });
      let body: Record<string, string>;
      try {
        body = JSON.parse(raw) as Record<string, string>;
      } catch {
        return send(400, { error: "invalid_request", error_description: "body is not JSON" });
      }
      if (body.grant_type === "refresh_token") {
        // Refresh tokens minted below are `refresh-<n>`; each use rotates it and mints a new access token.
        const match = /^refresh-(\d+)$/.exec(body.refresh_token ?? "");
        if (!match || !body.client_id) return send(400, { error: "invalid_grant", error_description: "Invalid refresh token" });
        const next = Number(match[1]) + 1;
        return send(200, {
          access_token: `sk-ant-oat01-refreshed-${next}`,
          refresh_token: `refresh-${next}`,
          expires_in: 28_800,
          token_type: "Bearer",
        });
      }
      if (body.grant_type !== "authorization_code") return send(400, { error: "unsupported_grant_type" });
      if (!body.code_verifier || !body.state || !body.client_id)
        return send(400, { error: "invalid_request", error_description: "missing PKCE fields" });
      if (!body.code?.startsWith("good-")) return send(400, { error: "invalid_grant", error_description: "Invalid authorization code" });
      // The code embeds the S256 challenge the client should have derived its verifier for.
      const challenge = createHash("sha256").update(body.code_verifier).digest("base64url");
      if (body.code !== `good-${challenge}`) return send(400, { error: "invalid_grant", error_description: "PKCE verification failed" });
      send(200, {
        access_token: `sk-ant-oat01-${challenge.slice(0, 16)}`,
        refresh_token: "refresh-0",
        expires_in: 28_800,
        token_type: "Bearer",
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // Neither the server nor its keep-alive connections may keep the test process alive.
  server.unref();
  server.on("connection", (socket) => socket.unref());
  return {
    url: `http://127.0.0.1:${port}`,
    idpPrivateJwk,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
