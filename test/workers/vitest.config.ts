/** The workerd test project: the Worker from wrangler.toml, with test-only secrets and fakes. */
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { FAKE_IDP, startFakeAuthServer } from "../fakes/auth-server.ts";
import { startModelServer } from "../../model-server/server.ts";
import { RECORDER_TOKEN, startSandboxRecorder } from "../fakes/sandbox-host-recorder.ts";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(root, "migrations"));
  // Real HTTP endpoints on loopback (identity provider JWKS, OAuth token endpoint), so
  // both are exercised over the wire exactly as in production.
  const fakes = await startFakeAuthServer();
  // The scripted Anthropic-compatible server behind the model gateway (ANTHROPIC_API_URL);
  // tests read what it received, the credential above all, through TEST_MODEL_SERVER.
  const modelServer = await startModelServer({ background: true });
  // The sandbox (a Container in production) is recorded, and tests play the runner themselves.
  const sandboxes = await startSandboxRecorder();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: "test-jwt-secret-that-is-long-enough-for-hs256",
            CREDENTIALS_KEY: "test-key-1:" + Buffer.alloc(32, 7).toString("base64"),
            ALLOWED_EMAIL_DOMAINS: "example.com,corp.example",
            AUTH_JWKS_URL: `${fakes.url}/.well-known/jwks.json`,
            AUTH_ISSUER: FAKE_IDP.issuer,
            AUTH_AUDIENCE: FAKE_IDP.audience,
            TEST_IDP_PRIVATE_JWK: JSON.stringify(fakes.idpPrivateJwk),
            ANTHROPIC_OAUTH_TOKEN_URL: `${fakes.url}/v1/oauth/token`,
            ANTHROPIC_OAUTH_AUTHORIZE_URL: "https://claude.example/oauth/authorize",
            ANTHROPIC_API_URL: modelServer.url,
            ORG_ADMIN_TOKEN: "test-operator-token",
            SANDBOX_BACKEND: "local",
            SANDBOX_HOST_URL: sandboxes.url,
            SANDBOX_HOST_TOKEN: RECORDER_TOKEN,
            TEST_SANDBOX_RECORDER_URL: sandboxes.url,
          },
          serviceBindings: {
            // GET: every /v1/messages call the model server has recorded, oldest first.
            TEST_MODEL_SERVER: () => Response.json(modelServer.requests),
          },
        },
      }),
    ],
    test: {
      name: "workers",
      root,
      include: ["test/workers/**/*.test.ts"],
      setupFiles: ["test/workers/setup.ts"],
      testTimeout: 30_000,
    },
  };
});
