// The local sandbox host's HTTP API: start, inspect and stop runner sandboxes (the development
// and test backend standing in for Cloudflare Containers). JSON in and out, Bearer-token auth.
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { SandboxCreateRequest, SandboxId } from "../schemas/runner.ts";
import { SandboxPoolState } from "../schemas/sandbox-pool.ts";
import { type ContainerModeOptions, containerSandboxes } from "./container-sandbox.ts";
import { SandboxRegistry } from "./sandbox-registry.ts";

/** Options of startSandboxHost. */
export type SandboxHostOptions = {
  /** 0 picks a free port. */
  port: number;
  /** Required as `Authorization: Bearer <token>` on every API request. */
  token: string;
  /** Directory holding one `<session_id>/` directory per sandbox. */
  root: string;
  /** Interface to listen on; loopback by default (the host starts processes on request). */
  host?: string;
  /** Also copy runner logs to this process's stderr, prefixed with the session id. */
  echoLogs?: boolean;
  /** `process` (default): runners as local child processes; `container`: in containers of the production image. */
  sandbox?: "process" | "container";
  /** The container mode's image and limits (defaults: container-sandbox.ts). */
  container?: ContainerModeOptions;
  /** Started sandboxes kept waiting for new sessions (sandbox-host/warm-pool.ts); 0, the default, disables the pool. */
  warmSandboxes?: number;
  /** Overrides for tests: the runner entry point and the Claude Code binary. */
  runnerMain?: string;
  claudeBin?: string;
};

/** A running sandbox host. */
export type SandboxHost = { url: string; port: number; close(): Promise<void> };

const repoRoot = path.resolve(import.meta.dirname, "..");
const MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Starts the sandbox host; `close()` stops every sandbox and the server. */
export async function startSandboxHost(opts: SandboxHostOptions): Promise<SandboxHost> {
  if (!opts.token) throw new Error("startSandboxHost: a token is required");
  const registry = new SandboxRegistry(
    opts.root,
    {
      nodeBin: process.execPath,
      runnerMain: opts.runnerMain ?? path.join(repoRoot, "container/runner/main.ts"),
      claudeBin: opts.claudeBin ?? path.join(repoRoot, "node_modules/.bin/claude"),
      echoLogs: opts.echoLogs ?? false,
    },
    opts.sandbox === "container" ? await containerSandboxes(opts.container) : undefined,
    opts.warmSandboxes ?? 0,
  );
  const tokenDigest = digest(opts.token);

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    // Unauthenticated liveness probe: it reveals nothing.
    if (url.pathname === "/healthz") {
      if (method !== "GET" && method !== "HEAD") throw new HttpError(405, "method_not_allowed", `${method} /healthz`);
      return sendJson(res, 200, { ok: true });
    }
    if (!authorised(req.headers.authorization, tokenDigest)) {
      throw new HttpError(401, "unauthorized", "a valid Bearer token is required");
    }
    if (url.pathname === "/pool") {
      if (method !== "GET") throw new HttpError(405, "method_not_allowed", `${method} /pool`);
      return sendJson(res, 200, SandboxPoolState.parse(registry.pool()));
    }
    if (url.pathname === "/sandboxes") {
      if (method !== "POST") throw new HttpError(405, "method_not_allowed", `${method} /sandboxes`);
      const body = SandboxCreateRequest.safeParse(await readJson(req));
      if (!body.success) throw new HttpError(400, "invalid_request", body.error.issues.map(describeIssue).join("; "));
      const { created, info } = await registry.ensure(body.data.session_id, body.data.env);
      return sendJson(res, created ? 201 : 200, info);
    }
    const match = /^\/sandboxes\/([^/]+)$/.exec(url.pathname);
    if (!match) throw new HttpError(404, "not_found", `no route for ${method} ${url.pathname}`);
    const id = SandboxId.safeParse(decodeURIComponent(match[1]!));
    if (!id.success) throw new HttpError(400, "invalid_request", "session id must be URL-safe");
    if (method === "GET") {
      const state = registry.get(id.data);
      if (!state) throw new HttpError(404, "sandbox_not_found", `no sandbox for session ${id.data}`);
      return sendJson(res, 200, state);
    }
    if (method === "DELETE") {
      if (!(await registry.stop(id.data))) throw new HttpError(404, "sandbox_not_found", `no sandbox for session ${id.data}`);
      return sendJson(res, 200, { stopped: true });
    }
    throw new HttpError(405, "method_not_allowed", `${method} /sandboxes/:id`);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.code, message: error.message });
      process.stderr.write(`sandbox host: ${(error as Error).stack ?? String(error)}\n`);
      sendJson(res, 500, { error: "internal", message: "the sandbox host failed to handle the request" });
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      await registry.stopAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

// Compares digests, so the comparison takes the same time whatever the token's length.
function authorised(header: string | undefined, expected: Buffer): boolean {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  return token !== undefined && timingSafeEqual(digest(token), expected);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "payload_too_large", "the body exceeds 1 MB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "the body is not valid JSON");
  }
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  return issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message;
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
