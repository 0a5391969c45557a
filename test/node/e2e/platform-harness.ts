/**
 * End-to-end harness: the real platform under `wrangler dev`, the real sandbox host and runner,
 * the real Claude Code binary, and the project's scripted model server — all on loopback.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SignJWT } from "jose";
import WebSocket from "ws";
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from "../../../scripts/local-platform.ts";

/** Secrets of the end-to-end platform (test-only values, passed with --var). */
export const E2E_JWT_SECRET = "e2e-jwt-secret-long-enough-for-hs256-0123456789";
/** The API key the e2e users store; the scripted model server records which key reached it. */
export const E2E_API_KEY = "sk-ant-api03-e2e-user-key-0123456789abcdef";

/** A running platform plus a scratch directory for its local state. */
export interface E2EPlatform extends LocalPlatform {
  stateDir: string;
  /**
   * Stops everything (wrangler, the sandbox host and its runners, the model server) as a crash or
   * Ctrl-C would, and starts it again on the same port with the same local state (D1, R2, Durable
   * Objects) and secrets: a platform restart. The sandboxes' directories do not survive it.
   * `changes` restarts it differently (another runtime).
   */
  restart(changes?: E2EOptions): Promise<E2EPlatform>;
}

/**
 * How the platform runs: the sandbox host's mode, its container options and warm pool, another
 * wrangler config, wrangler dev or Miniflare (startLocalPlatform).
 */
export type E2EOptions = Pick<LocalPlatformOptions, "sandbox" | "container" | "wranglerConfig" | "warmSandboxes" | "runtime">;

/** Starts the platform with fresh local state; `vars` add to (or override) the Worker's variables. */
export async function startE2EPlatform(vars: Record<string, string> = {}, options: E2EOptions = {}): Promise<E2EPlatform> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "ai-sessions-e2e-"));
  return launch(
    stateDir,
    {
      JWT_SECRET: E2E_JWT_SECRET,
      CREDENTIALS_KEY: `e2e:${randomBytes(32).toString("base64")}`,
      ALLOWED_EMAIL_DOMAINS: "example.com",
      ...vars,
    },
    options,
  );
}

async function launch(stateDir: string, vars: Record<string, string>, options: E2EOptions, port?: number): Promise<E2EPlatform> {
  const platform = await startLocalPlatform({
    // As `npm start` runs it: sessions claim a warm sandbox (the pool's own test is
    // test/node/warm-pool.test.ts), and a second session at once, or a restart, starts cold.
    warmSandboxes: 1,
    ...options,
    scriptedModel: true,
    persistTo: stateDir,
    verbose: process.env.E2E_VERBOSE === "1",
    vars,
    ...(port ? { port } : {}),
  });
  return {
    ...platform,
    stateDir,
    stop: async () => {
      await platform.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
    restart: async (changes: E2EOptions = {}) => {
      await platform.stop();
      return launch(stateDir, vars, { ...options, ...changes }, Number(new URL(platform.baseUrl).port));
    },
  };
}

/** Starts the platform and a ready user, for a test file's `beforeAll`; `vars` as for startE2EPlatform. */
export async function bootE2E(
  vars: Record<string, string> = {},
  options: E2EOptions = {},
): Promise<{ platform: E2EPlatform; token: string }> {
  const platform = await startE2EPlatform(vars, options);
  return { platform, token: await readyUser(platform.baseUrl) };
}

/** A token for a fresh user of the e2e platform. */
export async function e2eToken(name = `u${randomBytes(6).toString("hex")}`, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ email: `${name}@example.com`, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(name)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(E2E_JWT_SECRET));
}

/** Calls the platform's REST API. */
export async function api(
  base: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A registered user with a stored API key. */
export async function readyUser(base: string): Promise<string> {
  const token = await e2eToken();
  if ((await api(base, token, "POST", "/v1/register")).status !== 200) throw new Error("register failed");
  if ((await api(base, token, "POST", "/v1/auth/claude/apikey", { api_key: E2E_API_KEY })).status !== 200) throw new Error("apikey failed");
  return token;
}

/** A WebSocket client that records every frame. */
export class Client {
  readonly frames: any[] = [];
  closeCode: number | null = null;
  #killed = false;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      this.ws.once("error", reject);
    });
    // Nothing counts as received after kill(): ws can still emit a frame that was being inflated
    // (permessage-deflate is asynchronous) when the socket was destroyed, which a lost network
    // would never have delivered, and a test resuming from the last frame would see it twice.
    this.ws.on("message", (data) => {
      if (!this.#killed) this.frames.push(JSON.parse(String(data)));
    });
    this.ws.on("close", (code) => (this.closeCode = code));
  }

  /** Opens a client socket to a session (`?token=`, as browsers do). */
  static async connect(base: string, token: string, sessionId: string, query = ""): Promise<Client> {
    const client = new Client(`${base.replace(/^http/, "ws")}/v1/ws/sessions/${sessionId}?token=${token}${query}`);
    await client.opened;
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Waits until `predicate` holds for the frames so far. */
  async until(predicate: (frames: any[]) => boolean, what: string, timeoutMs = 45_000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.map((f) => [f.seq, f.type])).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.frames;
  }

  /** Stored events received (seq not null), in arrival order. */
  stored(): any[] {
    return this.frames.filter((f) => f.seq !== null && f.type !== "history");
  }

  close(): void {
    this.ws.close(1000);
  }

  /** Drops the connection without a closing handshake, like a lost network. */
  kill(): void {
    this.#killed = true;
    this.ws.terminate();
  }
}

/** True once a `result` event arrived after index `from` of the stored events. */
export const hasResult =
  (from = 0) =>
  (frames: any[]) =>
    frames
      .filter((f) => f.seq !== null)
      .slice(from)
      .some((f) => f.type === "result");
