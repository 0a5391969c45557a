/** Claude credentials: an Anthropic API key or a Claude Max OAuth token (API.md §2). */
import {
  CredentialDeleted,
  CredentialStatus,
  CredentialStored,
  OAuthCompleted,
  OAuthStarted,
  OAuthUrl,
} from "../../schemas/account.ts";
import type { Transport } from "../http.ts";
import type { CallOptions } from "./call-options.ts";

/** `/v1/auth/claude/...`. */
export class AuthApi {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** Stores an Anthropic API key (`sk-ant-...`); replaces any stored credential, so retrying is safe. */
  setApiKey(apiKey: string, options: CallOptions = {}) {
    return this.#t.request({ method: "POST", path: "/v1/auth/claude/apikey", body: { api_key: apiKey }, response: CredentialStored, idempotent: true, ...options });
  }

  /** Starts the OAuth (PKCE) flow; answers the `oauth_session_id` the next calls take. */
  startOAuth(options: CallOptions = {}) {
    return this.#t.request({ method: "POST", path: "/v1/auth/claude/start", response: OAuthStarted, idempotent: false, ...options });
  }

  /** The authorization URL of a started flow (`status: "pending"` until it is ready). */
  oauthUrl(oauthSessionId: string, options: CallOptions = {}) {
    return this.#t.request({ method: "GET", path: "/v1/auth/claude/url", query: { session_id: oauthSessionId }, response: OAuthUrl, idempotent: true, ...options });
  }

  /** Completes the flow with the code Claude's page showed (`code` or `code#state`). */
  submitOAuthCode(oauthSessionId: string, code: string, options: CallOptions = {}) {
    return this.#t.request({ method: "POST", path: "/v1/auth/claude/code", body: { session_id: oauthSessionId, code }, response: OAuthCompleted, idempotent: false, ...options });
  }

  /** Whether a credential is stored, and which kind (never the credential itself). */
  credentialStatus(options: CallOptions = {}) {
    return this.#t.request({ method: "GET", path: "/v1/auth/claude/status", response: CredentialStatus, idempotent: true, ...options });
  }

  /** Removes the stored credential; `deleted: false` when there was none. */
  deleteCredential(options: CallOptions = {}) {
    return this.#t.request({ method: "DELETE", path: "/v1/auth/claude", response: CredentialDeleted, idempotent: true, ...options });
  }
}
