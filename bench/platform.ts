/**
 * What the benchmark sections share to drive a local platform: the Worker's variables, a ready
 * user, a new session, a client socket, and a fake runner (the runner's own channel,
 * container/runner/platform-channel.ts, dialled with the token the sandbox recorder saw).
 */
import WebSocket from "ws";
import { E2E_API_KEY, E2E_JWT_SECRET, e2eToken } from "../test/node/e2e/platform-harness.ts";
import { PlatformChannel } from "../container/runner/platform-channel.ts";
import { createLogger } from "../container/runner/log.ts";
import { sleep } from "./stats.ts";

/** The runner channel's logger: errors only, so the benchmark's output stays a table. */
const silentLog = createLogger("bench-runner", "error");

/**
 * How long a section waits after a session claimed a sandbox from the local sandbox host's warm
 * pool: the pool starts the replacement a couple of seconds after the claim (sandbox-host/warm-pool.ts),
 * and that start (Node, the runner, `claude --help`: about a core for a second) must not run
 * during a measurement, nor be missing when the next sample wants a ready sandbox.
 */
export const POOL_REFILL_PAUSE_MS = 5_000;

/**
 * What runs the Worker in the sections that time the platform (fan-out, prompt, cold start, wake):
 * Miniflare directly by default, the same Worker, bindings, persistence and workerd as `wrangler
 * dev` without the proxy workerd wrangler dev puts in front of it (every request and WebSocket
 * message crossed both; a deployed Worker has no such hop: scripts/miniflare-dev.ts).
 * `BENCH_RUNTIME=wrangler` measures through `wrangler dev`.
 */
export const RUNTIME = process.env["BENCH_RUNTIME"] === "wrangler" ? "wrangler" : "miniflare";
export const RUNTIME_LABEL = RUNTIME === "wrangler" ? "through wrangler dev" : "Worker under Miniflare, no dev proxy";

/** The Worker's variables for every section (sections may add their own). */
export const vars = {
  JWT_SECRET: E2E_JWT_SECRET,
  CREDENTIALS_KEY: `bench:${Buffer.alloc(32, 3).toString("base64")}`,
  ALLOWED_EMAIL_DOMAINS: "example.com",
};

/** Registers the bench user with an API key; returns its bearer token. */
export async function readyUser(baseUrl: string): Promise<string> {
  const token = await e2eToken();
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  await fetch(`${baseUrl}/v1/register`, { method: "POST", headers });
  await fetch(`${baseUrl}/v1/auth/claude/apikey`, { method: "POST", headers, body: JSON.stringify({ api_key: E2E_API_KEY }) });
  return token;
}

/** Creates a session; returns its id. */
export async function createSession(baseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ permission_mode: "bypassPermissions" }),
  });
  const body = (await response.json()) as { session: { id: string } };
  return body.session.id;
}

/** An open WebSocket to `url`. */
export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  // Without permessage-deflate, like the bare relay the fan-out compares against: offered by
  // default, workerd accepts it, and the figure then mostly measured `ws` inflating every frame
  // in this process (docs/performance.md, "What the bench leaves out").
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return ws;
}

/** A fake runner connected to the session: sends events through the real runner channel. */
export interface FakeRunner {
  /** Sends one assistant event whose text is `text`. */
  send(text: string): void;
  /** Events sent but not yet acknowledged as stored by the session. */
  unacked(): number;
  close(): Promise<void>;
}

/** Waits for the recorder to see the session's sandbox start, then connects as its runner. */
export async function connectFakeRunner(baseUrl: string, recorderUrl: string, sessionId: string): Promise<FakeRunner> {
  let env: Record<string, string> | null = null;
  while (!env) {
    const answer = await fetch(`${recorderUrl}/_recorded/${sessionId}`);
    if (answer.ok) env = ((await answer.json()) as { env: Record<string, string> }).env;
    else await sleep(20);
  }
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const channel = new PlatformChannel({
    url: `${baseUrl.replace(/^http/, "ws")}/v1/runner/sessions/${sessionId}/ws`,
    token: env.RUNNER_TOKEN!,
    heartbeatIntervalMs: 10_000,
    reconnectMaxMs: 1_000,
    hello: () => ({ type: "hello", runner_version: "bench", runner_instance: "bench" }),
    onFrame: () => {},
    onConnected: () => connected(),
    onTerminated: () => {},
    log: silentLog,
  });
  channel.start();
  await ready;
  return {
    send: (text) => channel.sendEvent({ type: "assistant", payload: { content: [{ type: "text", text }], model: "bench" } }),
    unacked: () => channel.outbox.unacked().length,
    close: () => channel.close(),
  };
}
