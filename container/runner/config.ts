// RunnerConfig: the runner's settings, read once from its environment.
import { z } from "zod";
import { DEFAULT_HEARTBEAT_INTERVAL_MS, runnerSocketPath } from "../../schemas/runner.ts";

/** Everything the runner needs from its environment. */
export type RunnerConfig = {
  sessionId: string;
  /** Full WebSocket URL of the runner channel. */
  socketUrl: string;
  runnerToken: string;
  workspaceDir: string;
  claudeBin: string;
  heartbeatIntervalMs: number;
  reconnectMaxMs: number;
  /** The environment Claude Code starts from: the runner's own minus what only the runner may see. */
  agentEnv: Record<string, string>;
};

// Runner-only variables: the runner token would let the agent impersonate the runner on the
// platform channel, and the rest is plumbing the agent has no use for.
const RUNNER_ONLY = [
  "RUNNER_TOKEN",
  "PLATFORM_URL",
  "HEARTBEAT_INTERVAL_MS",
  "RECONNECT_MAX_MS",
  "CLAUDE_BIN",
  "RUNNER_LOG_LEVEL",
  "NODE_OPTIONS",
];

const Env = z.object({
  SESSION_ID: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "SESSION_ID must be URL-safe"),
  PLATFORM_URL: z.url({ protocol: /^https?$/ }),
  RUNNER_TOKEN: z.string().min(1),
  WORKSPACE_DIR: z.string().min(1).default("/workspace"),
  CLAUDE_BIN: z.string().min(1).default("claude"),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
  RECONNECT_MAX_MS: z.coerce.number().int().min(100).default(5_000),
});

/** Reads and validates the runner's environment; throws a readable error naming the bad variables. */
export function loadRunnerConfig(env: NodeJS.ProcessEnv): RunnerConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid runner environment: ${problems}`);
  }
  const e = parsed.data;
  const base = new URL(e.PLATFORM_URL);
  base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  const socketUrl = new URL(base.pathname.replace(/\/$/, "") + runnerSocketPath(e.SESSION_ID), base).toString();

  const agentEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !RUNNER_ONLY.includes(name)) agentEnv[name] = value;
  }
  return {
    sessionId: e.SESSION_ID,
    socketUrl,
    runnerToken: e.RUNNER_TOKEN,
    workspaceDir: e.WORKSPACE_DIR,
    claudeBin: e.CLAUDE_BIN,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    reconnectMaxMs: e.RECONNECT_MAX_MS,
    agentEnv,
  };
}
