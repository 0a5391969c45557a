/**
 * Brings up the whole platform on loopback, for `npm start` and for the end-to-end tests:
 * - the scripted model server (demo mode and tests) standing in for Anthropic's API,
 * - the local sandbox host, which runs each session's runner as a child process (or, with
 *   `sandbox: "container"`, in a container of the production image),
 * - `wrangler dev`: the Worker, Durable Objects, local D1 (migrations applied) and R2; or, with
 *   `runtime: "miniflare"` (the benchmarks), the same Worker under Miniflare without wrangler
 *   dev's proxy in front of it (scripts/miniflare-dev.ts).
 * Nothing here reaches beyond 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { startModelServer, type ModelServer } from "../model-server/server.ts";
import type { ContainerModeOptions } from "../sandbox-host/container-sandbox.ts";
import { startSandboxHost, type SandboxHost } from "../sandbox-host/server.ts";
import { ensureWebBuilt } from "../web/build.ts";
import { ROOT } from "./local-env.ts";

/** Keeps wrangler from reaching for the internet, which is not there. */
export const OFFLINE_WRANGLER_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/**
 * Warm sandboxes by default (`npm start`, the benchmarks), in the process and the container mode:
 * one is enough for a person creating sessions one at a time (its replacement is ready within a
 * few seconds), and each waiting runner is a Node process (~50 MB; in a container, plus conmon).
 */
export const DEFAULT_WARM_SANDBOXES = 1;

/** How long wrangler dev may take to answer /healthz (it bundles first). */
const WRANGLER_READY_TIMEOUT_MS = 90_000;

export interface LocalPlatformOptions {
  /** Port of the Worker (0: a free one). */
  port?: number;
  /** Start the scripted model server and route the model gateway to it (offline demo, tests). */
  scriptedModel?: boolean;
  /** Variables and secrets handed to the Worker with `--var` (tests pass their own secrets here). */
  vars?: Record<string, string>;
  /** Where local D1/R2/DO state lives (default wrangler's `.wrangler/state`). */
  persistTo?: string;
  /** Print wrangler's and the runners' output. */
  verbose?: boolean;
  /** How the local sandbox host runs runners: `process` (default) or `container` (sandbox-host/container-sandbox.ts). */
  sandbox?: "process" | "container";
  /** The container mode's image, limits and network (defaults: the environment, then container-sandbox.ts). */
  container?: ContainerModeOptions;
  /** Another wrangler config than the repository's wrangler.toml (tests that swap a module with `alias`). */
  wranglerConfig?: string;
  /**
   * Started sandboxes the local sandbox host keeps waiting for new sessions (sandbox-host/warm-pool.ts);
   * 0 disables the pool. Default DEFAULT_WARM_SANDBOXES.
   */
  warmSandboxes?: number;
  /** Use this sandbox host instead of starting the local one (benchmarks plug in a recorder and play the runner). */
  sandboxHost?: { url: string; token: string };
  /**
   * What runs the Worker: `wrangler` (default: `wrangler dev`, as `npm start` and the tests) or
   * `miniflare` (scripts/miniflare-dev.ts: the same bundle, bindings, persistence and workerd,
   * without wrangler dev's proxy workerd in front, which a deployed Worker does not have either).
   */
  runtime?: "wrangler" | "miniflare";
  /** Called when a part of the running platform stops on its own (wrangler exiting after it was ready). */
  onUnexpectedExit?: (message: string) => void;
}

/** Thrown when the requested port is taken: `npm start` says how to pick another. */
export class PortInUseError extends Error {
  readonly port: number;
  constructor(port: number) {
    super(`port ${port} is already in use on 127.0.0.1 (another wrangler dev or server?)`);
    this.port = port;
  }
}

export interface LocalPlatform {
  baseUrl: string;
  modelServer: ModelServer | null;
  /** The local sandbox host: each session's workspace is `<sandboxRoot>/<session id>/workspace`. */
  sandbox: { url: string; token: string; root: string };
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on `port` of loopback (where wrangler dev would listen). */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

/** Starts everything; resolves once the Worker answers /healthz. */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  // A taken port must fail here: otherwise the readiness check below could be answered by
  // whatever else listens there while our wrangler has already given up.
  if (options.port && (await portInUse(options.port))) throw new PortInUseError(options.port);
  // wrangler serves the web UI from web/dist: build it when missing or stale.
  await ensureWebBuilt();
  const port = options.port || (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);
  // wrangler's `#!/usr/bin/env node` must find this Node (22), not an older system one.
  const env = {
    ...process.env,
    ...OFFLINE_WRANGLER_ENV,
    PATH: [path.dirname(process.execPath), path.join(ROOT, "node_modules", ".bin"), process.env.PATH].join(path.delimiter),
  };
  const persist = options.persistTo ? ["--persist-to", options.persistTo] : [];
  const config = options.wranglerConfig ? ["--config", options.wranglerConfig] : [];
  if (options.persistTo) mkdirSync(options.persistTo, { recursive: true });

  const modelServer = options.scriptedModel ? await startModelServer({ port: 0 }) : null;
  const sandboxRoot = mkdtempSync(path.join(os.tmpdir(), "ai-sessions-sandboxes-"));
  const sandboxToken = randomBytes(24).toString("base64url");
  let sandboxHost: SandboxHost | null = null;
  let wrangler: ChildProcess | null = null;
  let stopping = false;

  const stop = async () => {
    stopping = true;
    if (wrangler && wrangler.exitCode === null) {
      wrangler.kill("SIGTERM");
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          wrangler?.kill("SIGKILL");
          resolve(null);
        }, 5_000);
        wrangler!.once("exit", () => {
          clearTimeout(timer);
          resolve(null);
        });
      });
    }
    await sandboxHost?.close();
    await modelServer?.close();
    rmSync(sandboxRoot, { recursive: true, force: true });
  };

  try {
    if (!options.sandboxHost)
      sandboxHost = await startSandboxHost({
        port: 0,
        token: sandboxToken,
        root: sandboxRoot,
        echoLogs: options.verbose ?? false,
        sandbox: options.sandbox ?? "process",
        ...(options.container ? { container: options.container } : {}),
        warmSandboxes: options.warmSandboxes ?? DEFAULT_WARM_SANDBOXES,
      });
    const sandboxUrl = options.sandboxHost?.url ?? sandboxHost!.url;
    const sandboxSecret = options.sandboxHost?.token ?? sandboxToken;
    const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local", ...config, ...persist], {
      cwd: ROOT,
      env,
      encoding: "utf8",
    });
    if (migrate.status !== 0) throw new Error(`applying D1 migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

    const vars: Record<string, string> = {
      SANDBOX_BACKEND: "local",
      SANDBOX_HOST_URL: sandboxUrl,
      SANDBOX_HOST_TOKEN: sandboxSecret,
      PLATFORM_URL: baseUrl,
      // The scripted model's answers and costs are invented: the flag has every surface say so.
      ...(modelServer ? { ANTHROPIC_API_URL: modelServer.url, SIMULATED_MODEL: "true" } : {}),
      ...options.vars,
    };
    const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
    // The same arguments either way: scripts/miniflare-dev.ts takes wrangler dev's.
    const [command, ...first] =
      options.runtime === "miniflare" ? [process.execPath, path.join(ROOT, "scripts", "miniflare-dev.ts")] : [bin("wrangler"), "dev"];
    wrangler = spawn(
      command!,
      [...first, ...config, "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false", ...persist, ...varArgs],
      {
        cwd: ROOT,
        env,
        stdio: ["ignore", options.verbose ? "inherit" : "pipe", options.verbose ? "inherit" : "pipe"],
      },
    );
    let output = "";
    wrangler.stdout?.on("data", (chunk) => (output += chunk));
    wrangler.stderr?.on("data", (chunk) => (output += chunk));
    const deadline = Date.now() + WRANGLER_READY_TIMEOUT_MS;
    for (;;) {
      if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode}):\n${output.slice(-3000)}`);
      if (Date.now() > deadline)
        throw new Error(`wrangler dev did not answer within ${WRANGLER_READY_TIMEOUT_MS} ms:\n${output.slice(-3000)}`);
      const ok = await fetch(`${baseUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    wrangler.once("exit", (code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(`wrangler dev exited (${signal ?? `code ${code}`}):\n${output.slice(-2000)}`);
    });
    return { baseUrl, modelServer, sandbox: { url: sandboxUrl, token: sandboxSecret, root: sandboxRoot }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
