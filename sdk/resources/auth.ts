/** Claude credentials: an Anthropic API key or a Claude Max OAuth token (docs/api.md §2). */
import { CredentialDeleted, CredentialStatus, CredentialStored, OAuthCompleted, OAuthStarted, OAuthUrl } from "../../schemas/account.ts";
import type { RestTransport } from "../../client-core/rest.ts";
import { validated } from "../validate.ts";
import type { CallOptions } from "./call-options.ts";

/** `/v1/auth/claude/...`. */
export class AuthApi {
  readonly #t: RestTransport;

  constructor(transport: RestTransport) {
    this.#t = transport;
  }

  /** Stores an Anthropic API key (`sk-ant-...`); replaces any stored credential, so retrying is safe. */
  setApiKey(apiKey: string, options: CallOptions = {}) {
    return this.#t.request({
      method: "POST",
      path: "/v1/auth/claude/apikey",
      body: { api_key: apiKey },
      parse: validated(CredentialStored),
      idempotent: true,
      ...options,
    });
  }

  /** Starts the OAuth (PKCE) flow; answers the `oauth_session_id` the next calls take. */
  startOAuth(options: CallOptions = {}) {
    return this.#t.request({
      method: "POST",
      path: "/v1/auth/claude/start",
      parse: validated(OAuthStarted),
      idempotent: false,
      ...options,
    });
  }

  /** The authorization URL of a started flow (`status: "pending"` until it is ready). */
  oauthUrl(oauthSessionId: string, options: CallOptions = {}) {
    return this.#t.request({
      method: "GET",
      path: "/v1/auth/claude/url",
      query: { session_id: oauthSessionId },
      parse: validated(OAuthUrl),
      idempotent: true,
      ...options,
    });
  }

  /** Completes the flow with the code Claude's page showed (`code` or `code#state`). */
  submitOAuthCode(oauthSessionId: string, code: string, options: CallOptions = {}) {
    return this.#t.request({
      method: "POST",
      path: "/v1/auth/claude/code",
      body: { session_id: oauthSessionId, code },
      parse: validated(OAuthCompleted),
      idempotent: false,
      ...options,
    });
  }

  /** Whether a credential is stored, and which kind (never the credential itself). */
  credentialStatus(options: CallOptions = {}) {
    return this.#t.request({
      method: "GET",
      path: "/v1/auth/claude/status",
      parse: validated(CredentialStatus),
      idempotent: true,
      ...options,
    });
  }

  /** Removes the stored credential; `deleted: false` when there was none. */
  deleteCredential(options: CallOptions = {}) {
    return this.#t.request({
      method: "DELETE",
      path: "/v1/auth/claude",
      parse: validated(CredentialDeleted),
      idempotent: true,
      ...options,
    });
  }
}
