// The HTTP side of the scripted model server: enough of the Anthropic API for the Claude Code
// CLI and the SDK (POST /v1/messages streaming and not, count_tokens, the /api/hello probe).
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { AddressInfo } from "node:net";
import type { MessageCreateParams } from "@anthropic-ai/sdk/resources/messages";
import { errorBody } from "./errors.ts";
import { buildMessage, countInputTokens } from "./message.ts";
import { scriptReply } from "./scenarios.ts";
import { encodeSse, messageEvents } from "./sse.ts";

/** One POST /v1/messages call as the server received it. */
export type RecordedRequest = {
  method: string;
  /** Path and query, e.g. `/v1/messages?beta=true`. */
  url: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The credential sent: `x-api-key`, else the token of `authorization: Bearer ...`. */
  apiKey: string | undefined;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: MessageCreateParams | undefined;
  /** The scenario that answered (`auxiliary` for Claude Code's side requests). */
  scenario: string | undefined;
  /** The HTTP status answered. */
  status: number | undefined;
  /** The usage reported in the answer (absent for errors), for cost accounting checks. */
  usage: { input_tokens: number; output_tokens: number } | undefined;
};

/** A running model server. */
export type ModelServer = {
  url: string;
  port: number;
  /** Every /v1/messages call so far, oldest first. */
  requests: RecordedRequest[];
  close(): Promise<void>;
};

/** Options of startModelServer. */
export type ModelServerOptions = {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Let the process exit while the server (and its keep-alive connections) is still up; for servers started by test configs. */
  background?: boolean;
};

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function credentialOf(headers: Record<string, string>): string | undefined {
  return headers["x-api-key"] ?? /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1];
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isMessageBody(value: unknown): value is MessageCreateParams {
  return typeof value === "object" && value !== null && Array.isArray((value as { messages?: unknown }).messages);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  // Node knows no reason phrase for Anthropic's 529.
  const reason = status === 529 ? "Overloaded" : http.STATUS_CODES[status];
  res.writeHead(status, reason ?? "Error", { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server; port 0 (the default) picks a free port. */
export async function startModelServer(opts: ModelServerOptions = {}): Promise<ModelServer> {
  const requests: RecordedRequest[] = [];
  let counter = 0;

  async function handleMessages(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const headers = flattenHeaders(req.headers);
    const parsed = parseJson(raw);
    const body = isMessageBody(parsed) ? parsed : undefined;
    const requestId = `req_model_server_${++counter}`;
    const record: RecordedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers,
      apiKey: credentialOf(headers),
      body,
      scenario: undefined,
      status: undefined,
      usage: undefined,
    };
    requests.push(record);
    res.setHeader("request-id", requestId);
    if (!body) {
      record.status = 400;
      return sendJson(res, 400, errorBody(400, "request body must be a JSON object with a messages array", requestId));
    }

    const reply = scriptReply(body);
    record.scenario = reply.scenario;
    if (reply.kind === "error") {
      record.status = reply.status;
      return sendJson(res, reply.status, errorBody(reply.status, reply.message, requestId));
    }

    const message = buildMessage(body, reply.blocks);
    record.status = 200;
    record.usage = { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens };
    if (!body.stream) {
      if (reply.slow) await sleep(reply.slow.chunks * reply.slow.delayMs);
      return sendJson(res, 200, message);
    }

    // Stop writing as soon as the client goes away (interrupt tests abort mid-stream).
    let gone = false;
    res.on("close", () => (gone = !res.writableFinished));
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const events = messageEvents(message, reply.slow?.chunks ?? 3);
    for (const event of events) {
      if (gone) return;
      if (reply.slow && event.type === "content_block_delta") await sleep(reply.slow.delayMs);
      if (gone) return;
      res.write(encodeSse(event));
    }
    res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (opts.latencyMs) await sleep(opts.latencyMs);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/api/hello" && (req.method === "GET" || req.method === "HEAD")) {
      // Claude Code's connectivity probe (HEAD) only looks at the status.
      return sendJson(res, 200, { message: "hello from the scripted model server" });
    }
    if (path === "/v1/messages" && req.method === "POST") return handleMessages(req, res, raw);
    if (path === "/v1/messages/count_tokens" && req.method === "POST") {
      const body = parseJson(raw);
      if (!isMessageBody(body)) return sendJson(res, 400, errorBody(400, "request body must be a JSON object with a messages array"));
      return sendJson(res, 200, { input_tokens: countInputTokens(body) });
    }
    sendJson(res, 404, errorBody(404, `${req.method} ${path} is not served by the scripted model server`));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error("model server: request failed", error);
      if (!res.headersSent) sendJson(res, 500, errorBody(500, `model server bug: ${(error as Error).message}`));
      else res.destroy();
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (opts.background) {
    server.unref();
    server.on("connection", (socket) => socket.unref());
  }
  const urlHost = host.includes(":") ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Claude Code and the SDK keep connections alive; drop them so close() returns promptly.
        server.closeAllConnections();
      }),
  };
}
