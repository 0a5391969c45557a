/** Claude credentials (docs/api.md §2): an API key or a Claude Max OAuth token, sealed at rest. */
import type { Hono } from "hono";
import {
  ApiKeyBody,
  CredentialDeleted,
  CredentialStatus,
  CredentialStored,
  OAuthCodeBody,
  OAuthCompleted,
  OAuthStarted,
  OAuthUrl,
  OAuthUrlQuery,
} from "../../schemas/account.ts";
import {
  OAUTH_FLOW_TTL_SECONDS,
  OAuthExchangeError,
  authorizeUrl,
  exchangeCode,
  newPkcePair,
  splitPastedCode,
} from "../auth/oauth-pkce.ts";
import { modelSimulated, readConfig } from "../../platform/config.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { credentialInfo, deleteCredential, storeCredential } from "../../platform/db/credentials.ts";
import { completeFlow, findFlow, insertFlow } from "../../platform/db/oauth-flows.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError, notFound } from "../../platform/errors.ts";

export function claudeCredentialRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/auth/claude/apikey",
      summary: "Store an Anthropic API key (must start with sk-ant-).",
      tag: "credentials",
      auth: "registering",
      body: ApiKeyBody,
      response: CredentialStored,
    },
    async (c, { body }) => {
      await storeCredential(
        c.env.DB,
        await keyringFrom(c.env),
        c.var.user.id,
        { type: "api_key", api_key: body.api_key },
        new Date().toISOString(),
      );
      return c.json({ success: true as const, credential_type: "api_key" as const, message: "API key stored" });
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/auth/claude/start",
      summary: "Start the Claude Max OAuth (PKCE) flow.",
      tag: "credentials",
      auth: "registering",
      response: OAuthStarted,
    },
    async (c) => {
      const config = readConfig(c.env);
      const pkce = await newPkcePair();
      const now = new Date();
      const id = newId();
      await insertFlow(
        c.env.DB,
        await keyringFrom(c.env),
        c.var.user.id,
        {
          id,
          state: pkce.state,
          verifier: pkce.verifier,
          authorize_url: authorizeUrl(config.oauth, pkce.challenge, pkce.state),
          status: "url_ready",
          expires_at: new Date(now.getTime() + OAUTH_FLOW_TTL_SECONDS * 1000).toISOString(),
        },
        now.toISOString(),
      );
      return c.json({
        oauth_session_id: id,
        expires_in: OAUTH_FLOW_TTL_SECONDS,
        message: "Poll GET /v1/auth/claude/url?session_id=<oauth_session_id>, open the URL, then POST the code to /v1/auth/claude/code.",
      });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/auth/claude/url",
      summary: "The authorization URL of a started OAuth flow.",
      tag: "credentials",
      auth: "registering",
      query: OAuthUrlQuery,
      response: OAuthUrl,
      errors: ["oauth_expired"],
    },
    async (c, { query }) => {
      const flow = await liveFlow(c.env, c.var.user.id, query.session_id);
      return c.json({
        status: "ready" as const,
        url: flow.authorize_url,
        message: "Open the URL, authorize, and paste the code shown to POST /v1/auth/claude/code.",
      });
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/auth/claude/code",
      summary: "Complete the OAuth flow with the authorization code.",
      tag: "credentials",
      auth: "registering",
      body: OAuthCodeBody,
      response: OAuthCompleted,
      errors: ["oauth_expired", "oauth_state_mismatch", "oauth_exchange_failed"],
    },
    async (c, { body }) => {
      const userId = c.var.user.id;
      const flow = await liveFlow(c.env, userId, body.session_id);
      if (flow.status === "completed") throw new ApiError(409, "oauth_already_completed", "this OAuth flow was already completed");
      const pasted = splitPastedCode(body.code);
      if (pasted.state !== null && pasted.state !== flow.state) {
        throw new ApiError(400, "oauth_state_mismatch", "the code belongs to a different OAuth flow");
      }
      let tokens;
      try {
        tokens = await exchangeCode(readConfig(c.env).oauth, pasted.code, flow.state, flow.verifier);
      } catch (error) {
        if (error instanceof OAuthExchangeError) throw new ApiError(400, "oauth_exchange_failed", error.message);
        throw error;
      }
      if (!(await completeFlow(c.env.DB, userId, flow.id))) {
        throw new ApiError(409, "oauth_already_completed", "this OAuth flow was already completed");
      }
      await storeCredential(c.env.DB, await keyringFrom(c.env), userId, { type: "oauth_token", ...tokens }, new Date().toISOString());
      return c.json({ success: true as const, status: "completed" as const, message: "Claude account connected" });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/auth/claude/status",
      summary: "Whether a Claude credential is stored (never the credential).",
      tag: "credentials",
      auth: "registering",
      response: CredentialStatus,
    },
    async (c) => {
      const info = await credentialInfo(c.env.DB, c.var.user.id);
      return c.json({
        has_credentials: info !== null,
        credential_type: info?.credential_type ?? null,
        created_at: info?.created_at ?? null,
        simulated_model: modelSimulated(c.env),
      });
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/auth/claude",
      summary: "Remove the stored Claude credential.",
      tag: "credentials",
      auth: "registering",
      response: CredentialDeleted,
    },
    async (c) => c.json({ deleted: await deleteCredential(c.env.DB, c.var.user.id) }),
  );
}

/** The caller's flow if it exists and has not expired. */
async function liveFlow(env: AppEnv["Bindings"], userId: string, id: string) {
  const flow = await findFlow(env.DB, await keyringFrom(env), userId, id);
  if (!flow) throw notFound("OAuth session");
  if (Date.parse(flow.expires_at) < Date.now()) throw new ApiError(410, "oauth_expired", "this OAuth flow expired; start a new one");
  return flow;
}
