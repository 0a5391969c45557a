// Test harness for the runner: a fake session Durable Object (the platform side of the runner
// channel, on a real `ws` server) and a helper that starts the real runner as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import type { AgentEventBody } from "../../schemas/events.ts";
import { RunnerToPlatform, type PlatformToRunner, type RunnerSettings } from "../../schemas/runner.ts";

/** The repository root. */
export const repoRoot = path.resolve(import.meta.dirname, "../..");
/** The real Claude Code binary from npm. */
export const claudeBin = path.join(repoRoot, "node_modules/.bin/claude");
/** The runner's entry point. */
export const runnerMain = path.join(repoRoot, "container/runner/main.ts");

/** Settings with nothing but a permission mode. */
export function settingsFor(mode: RunnerSettings["permission_mode"]): RunnerSettings {
  return { permission_mode: mode, allowed_tools: [], disallowed_tools: [], environment: {}, mcp_servers: {} };
}

type Frame = RunnerToPlatform;

/** The fake DO's view of the channel. */
export type FakePlatform = {
  url: string;
  /** Every valid frame received, in order (across connections). */
  frames: Frame[];
  /** Frames that failed the RunnerToPlatform schema. */
  invalid: unknown[];
  /** Stored events by rseq (each stored once, like the real DO). */
  events: Map<number, AgentEventBody>;
  /** How many event frames arrived for an rseq already stored. */
  duplicates: number;
  /** Upgrade attempts with a wrong or missing token. */
  rejectedUpgrades: number;
  connections: number;
  /** Whether events are acknowledged as they arrive (else call ackAll()). */
  autoAck: boolean;
  /**
   * Whether every `permission_request` is allowed at once, as the real DO does in
   * bypassPermissions (every tool call reaches the platform through the runner's hook).
   */
  autoAllow: boolean;
  /** While true, every upgrade is refused with 503 (a DO that is not reachable yet). */
  unavailable: boolean;
  settings: RunnerSettings;
  send(frame: PlatformToRunner): void;
  ackAll(): void;
  /** Kills the current socket abruptly (like an evicted DO). */
  dropSocket(): void;
  /** Resolves when `predicate` holds (checked on every frame), else rejects after `timeoutMs`. */
  waitFor<T>(what: string, predicate: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Stored events in rseq order. */
  storedEvents(): { rseq: number; event: AgentEventBody }[];
  close(): Promise<void>;
};

/** Starts a fake session DO accepting the runner of `sessionId` with `token`. */
export async function startFakePlatform(opts: {
  sessionId: string;
  token: string;
  settings: RunnerSettings;
  /** Answer every hello with `configure` (default); false: the test sends it, as the DO does after a wake's restore. */
  configureOnHello?: boolean;
}): Promise<FakePlatform> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  let current: WebSocket | undefined;

  const platform: FakePlatform = {
    url: "",
    frames: [],
    invalid: [],
    events: new Map(),
    duplicates: 0,
    rejectedUpgrades: 0,
    connections: 0,
    autoAck: true,
    autoAllow: opts.settings.permission_mode === "bypassPermissions",
    unavailable: false,
    settings: opts.settings,
    send(frame) {
      current?.send(JSON.stringify(frame));
    },
    ackAll() {
      const max = Math.max(0, ...platform.events.keys());
      platform.send({ type: "ack", rseq: max });
    },
    dropSocket() {
      current?.terminate();
      current = undefined;
    },
    waitFor(what, predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const value = predicate();
          if (value === undefined || value === false) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(value as never);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; frames: ${summarise(platform.frames)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    storedEvents() {
      return [...platform.events.entries()].sort((a, b) => a[0] - b[0]).map(([rseq, event]) => ({ rseq, event }));
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  server.on("upgrade", (req, socket, head) => {
    if (platform.unavailable) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const expectedPath = `/v1/runner/sessions/${opts.sessionId}/ws`;
    if (new URL(req.url ?? "/", "http://x").pathname !== expectedPath || req.headers.authorization !== `Bearer ${opts.token}`) {
      platform.rejectedUpgrades++;
      socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
      notify();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      current = ws;
      platform.connections++;
      ws.on("message", (data) => {
        const parsed = RunnerToPlatform.safeParse(JSON.parse(data.toString()));
        if (!parsed.success) {
          platform.invalid.push(JSON.parse(data.toString()));
          return notify();
        }
        // A batch is recorded as its events, in order, as the real DO stores them.
        for (const frame of parsed.data.type === "events" ? parsed.data.items : [parsed.data]) {
          platform.frames.push(frame);
          if (frame.type === "hello" && opts.configureOnHello !== false)
            ws.send(JSON.stringify({ type: "configure", settings: platform.settings }));
          if (frame.type === "event") {
            if (platform.events.has(frame.rseq)) platform.duplicates++;
            else platform.events.set(frame.rseq, frame.event);
            if (platform.autoAck) ws.send(JSON.stringify({ type: "ack", rseq: frame.rseq }));
          }
          if (frame.type === "permission_request" && platform.autoAllow) {
            ws.send(JSON.stringify({ type: "permission_response", request_id: frame.request_id, behavior: "allow" }));
          }
        }
        notify();
      });
      ws.on("close", notify);
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  platform.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return platform;
}

function summarise(frames: Frame[]): string {
  return frames
    .slice(-30)
    .map((f) => (f.type === "event" ? `event#${f.rseq}:${f.event.type}` : f.type === "turn_state" ? `turn_state:${f.state}` : f.type))
    .join(", ");
}

/** A runner child process. */
export type RunnerHandle = {
  child: ChildProcess;
  workspace: string;
  home: string;
  /** Everything the runner wrote to stderr so far. */
  logs(): string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
};

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by `cleanupTempDirs`. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory made by `tempDir`. */
export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Starts `node container/runner/main.ts` against a platform and a model server. */
export async function startRunner(opts: {
  platformUrl: string;
  sessionId: string;
  token: string;
  modelUrl: string;
  gatewayToken: string;
  /**
   * Claude Code calls `modelUrl` itself (ANTHROPIC_BASE_URL) rather than through the runner's
   * loopback proxy: a model reachable without the runner, as an orphaned agent would find it.
   */
  direct?: boolean;
  extraEnv?: Record<string, string>;
  /** Start it in a directory removed as it starts, as a warm runner's is when it takes over a stopped session's. */
  removedCwd?: boolean;
}): Promise<RunnerHandle> {
  const root = await tempDir("runner-test-");
  const workspace = path.join(root, "workspace");
  const home = path.join(root, "home");
  await mkdir(workspace);
  await mkdir(home);
  // `sh` enters the directory, removes it and becomes the runner (exec: same pid).
  const gone = path.join(root, "gone");
  if (opts.removedCwd) await mkdir(gone);
  const [command, args]: [string, string[]] = opts.removedCwd
    ? ["/bin/sh", ["-c", 'cd "$0" && rmdir "$0" && exec "$@"', gone, process.execPath, runnerMain]]
    : [process.execPath, [runnerMain]];
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
      SESSION_ID: opts.sessionId,
      PLATFORM_URL: opts.platformUrl,
      RUNNER_TOKEN: opts.token,
      WORKSPACE_DIR: workspace,
      CLAUDE_BIN: claudeBin,
      HEARTBEAT_INTERVAL_MS: "300",
      RECONNECT_MAX_MS: "500",
      // As the platform starts a sandbox: the runner's loopback proxy adds the token (gateway-proxy.ts).
      ...(opts.direct
        ? { ANTHROPIC_BASE_URL: opts.modelUrl, ANTHROPIC_AUTH_TOKEN: opts.gatewayToken }
        : { GATEWAY_URL: opts.modelUrl, GATEWAY_TOKEN: opts.gatewayToken }),
      CLAUDE_CODE_MAX_RETRIES: "0",
      ...opts.extraEnv,
    },
  });
  let logs = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (logs += d));
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (logs += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    workspace,
    home,
    logs: () => logs,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
