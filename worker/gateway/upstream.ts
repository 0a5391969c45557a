/**
 * Building the upstream call: the user's credential goes in, the sandbox's gateway token and
 * anything else the sandbox sent that the API does not need stays out.
 */
import type { CredentialSecret } from "../../platform/db/credentials.ts";

/** Where calls go when `ANTHROPIC_API_URL` is not configured. */
export const DEFAULT_ANTHROPIC_API_URL = "https://api.anthropic.com";

/** The beta flag the API requires on calls authenticated by a Claude (Max) OAuth access token. */
export const OAUTH_BETA = "oauth-2025-04-20";

/**
 * The `anthropic-beta` values passed upstream; any other is stripped. A beta can change what a
 * call costs in ways the meter does not price (the 1M-context premium, fast mode, server-tool
 * fees), so only betas known to bill at the list prices `pricing.ts` models pass. Stripping
 * rather than refusing keeps Claude Code working when a release adds a beta: the API then
 * answers as without it (or names the field that needs it, in its own 400). Listed: what Claude
 * Code 2.1 sends on every turn, plus well-known betas priced as plain input and output.
 */
export const PRICED_BETAS: ReadonlySet<string> = new Set([
  "claude-code-20250219",
  "interleaved-thinking-2025-05-14",
  "context-management-2025-06-27",
  "per-turn-control-2026-07-01",
  "mid-conversation-tool-changes-2026-07-01",
  "thinking-token-count-2026-05-13",
  "advanced-tool-use-2025-11-20",
  "effort-2025-11-24",
  "fine-grained-tool-streaming-2025-05-14",
  "token-efficient-tools-2025-02-19",
  // 1-hour cache writes are priced (pricing.ts, CACHE_WRITE_1H_MULTIPLIER).
  "extended-cache-ttl-2025-04-11",
  "prompt-caching-scope-2026-01-05",
  "redact-thinking-2026-02-12",
  "structured-outputs-2025-12-15",
  "token-counting-2024-11-01",
]);

/**
 * Request headers passed upstream; everything else is dropped: the gateway token
 * (`authorization`, `x-api-key`), cookies, hop-by-hop and proxy headers, Cloudflare's `cf-*`.
 * `user-agent` and `x-app` identify Claude Code, which the API may use for OAuth traffic.
 */
const FORWARDED_REQUEST_HEADERS = ["anthropic-version", "anthropic-beta", "content-type", "accept", "user-agent", "x-app"] as const;

/**
 * Response headers not passed back: hop-by-hop ones (RFC 9110 §7.6.1), cookies, and the body
 * framing. The runtime already decoded any `content-encoding` when it read the body, so the
 * original encoding and length no longer describe the bytes the client gets.
 */
const DROPPED_RESPONSE_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "set-cookie",
  "content-encoding",
  "content-length",
]);

/** The upstream URL for `path` (from the gateway's allow-list) and the client's query string. */
export function upstreamUrl(base: string | undefined, path: string, search: string): string {
  return `${(base || DEFAULT_ANTHROPIC_API_URL).replace(/\/+$/, "")}${path}${search}`;
}

/** The headers of the upstream request: the allowed client headers plus the user's credential. */
export function upstreamHeaders(incoming: Headers, credential: CredentialSecret): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = incoming.get(name);
    if (value !== null) headers.set(name, value);
  }
  const betas = (incoming.get("anthropic-beta") ?? "")
    .split(",")
    .map((beta) => beta.trim())
    .filter((beta) => PRICED_BETAS.has(beta)); // not OAUTH_BETA: the credential decides that flag, not the sandbox
  if (credential.type === "api_key") {
    headers.set("x-api-key", credential.api_key);
  } else {
    headers.set("authorization", `Bearer ${credential.access_token}`);
    betas.push(OAUTH_BETA);
  }
  if (betas.length > 0) headers.set("anthropic-beta", betas.join(","));
  else headers.delete("anthropic-beta");
  return headers;
}

/** The headers of the answer to the client: upstream's, minus hop-by-hop, cookies and framing. */
export function clientHeaders(upstream: Headers): Headers {
  const listedInConnection = (upstream.get("connection") ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const headers = new Headers();
  for (const [name, value] of upstream) {
    if (!DROPPED_RESPONSE_HEADERS.has(name) && !listedInConnection.includes(name)) headers.append(name, value);
  }
  return headers;
}
