// GatewayProxy: the only way Claude Code reaches the session's model gateway. It listens on
// loopback inside the sandbox, adds the gateway token (which only the runner holds, handed over
// like the runner token: secrets.ts) to each request, and forwards it to the platform's gateway,
// streaming both ways. Claude Code is pointed at it (ANTHROPIC_BASE_URL) and holds no token: a
// prompt-injected agent that copies its environment out of the sandbox has nothing to replay.
// Anything inside the sandbox can still call the proxy; that is the agent's own model access.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "./log.ts";

/**
 * What Claude Code gets as ANTHROPIC_AUTH_TOKEN: it needs some credential to start, and the
 * proxy replaces whatever it sends. Not a secret, and worthless at the gateway.
 */
export const AGENT_PLACEHOLDER_TOKEN = "sandbox-loopback-proxy";

/** Request headers never forwarded: the agent's own credentials, hop-by-hop and proxy headers, `host`. */
const DROPPED_REQUEST_HEADERS = new Set([
  "authorization",
  "x-api-key",
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
/** Response headers not passed back: hop-by-hop ones (the body is re-framed by this server). */
const DROPPED_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "trailer", "upgrade"]);

/** A running proxy. */
export type GatewayProxy = {
  /** `http://127.0.0.1:<port>`: Claude Code's ANTHROPIC_BASE_URL. */
  url: string;
  close(): Promise<void>;
};

/** Claude Code's environment entries for talking to the gateway through `proxy`. */
export function agentGatewayEnv(proxy: GatewayProxy): Record<string, string> {
  return { ANTHROPIC_BASE_URL: proxy.url, ANTHROPIC_AUTH_TOKEN: AGENT_PLACEHOLDER_TOKEN };
}

/**
 * The upstream URL of a request for `path` (origin-form, as sent to this server), or null when it
 * would leave the gateway's prefix: `..` segments (even percent-encoded) are resolved by the URL
 * parser, so the check is on the resolved path. Absolute-form targets (`http://...`) are refused.
 */
export function upstreamTarget(gatewayUrl: string, path: string): URL | null {
  if (!path.startsWith("/") || path.startsWith("//")) return null;
  const base = new URL(gatewayUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  let target: URL;
  try {
    target = new URL(`${base.origin}${prefix}${path}`);
  } catch {
    return null;
  }
  return target.origin === base.origin && target.pathname.startsWith(`${prefix}/`) ? target : null;
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of `gatewayUrl`. */
export async function startGatewayProxy(opts: { gatewayUrl: string; token: string; log: Logger }): Promise<GatewayProxy> {
  const server = http.createServer((req, res) => forward(opts, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function forward(opts: { gatewayUrl: string; token: string; log: Logger }, req: http.IncomingMessage, res: http.ServerResponse): void {
  const target = upstreamTarget(opts.gatewayUrl, req.url ?? "");
  if (!target) return answerError(res, 404, "not_found_error", "not a model gateway path");
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(name)) headers[name] = value;
  }
  headers["authorization"] = `Bearer ${opts.token}`;
  const client = target.protocol === "https:" ? https : http;
  const upstream = client.request(target, { method: req.method, headers }, (answer) => {
    const back: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name)) back[name] = value;
    }
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, back);
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    opts.log.warn("model gateway proxy: upstream request failed", { error: error.message });
    if (!res.headersSent) answerError(res, 502, "api_error", "the model gateway could not be reached");
    else res.destroy();
  });
  // Claude Code interrupting a call: cancel it upstream too, so the gateway stops metering.
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** An error in Anthropic's shape (Claude Code reads `error.type` and decides retries from the status). */
function answerError(res: http.ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ type: "error", error: { type, message } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
