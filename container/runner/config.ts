// RunnerConfig: the runner's settings, read once from its environment.
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { DEFAULT_HEARTBEAT_INTERVAL_MS, runnerSocketPath } from "../../schemas/runner.ts";
import type { AgentUser } from "./agent-user.ts";

/** Everything the runner needs from its environment. */
export type RunnerConfig = {
  sessionId: string;
  /** Full WebSocket URL of the runner channel. */
  socketUrl: string;
  runnerToken: string;
  workspaceDir: string;
  /** Where the runner keeps its own temporary files (MCP config): TMPDIR, else the system's. */
  tmpDir: string;
  claudeBin: string;
  heartbeatIntervalMs: number;
  reconnectMaxMs: number;
  /** The user Claude Code runs as, when it is not the runner's own (AGENT_UID/AGENT_GID). */
  agentUser: AgentUser | undefined;
  /** The environment Claude Code starts from: the runner's own minus what only the runner may see. */
  agentEnv: Record<string, string>;
  /** The session's model gateway (GATEWAY_URL), reached through the loopback proxy; absent without one. */
  gatewayUrl: string | undefined;
};

// Runner-only variables: the runner token would let the agent impersonate the runner on the
// platform channel, and the rest is plumbing the agent has no use for.
const RUNNER_ONLY = [
  "RUNNER_TOKEN",
  // The model gateway's address and token: Claude Code reaches the gateway through the
  // runner's loopback proxy (gateway-proxy.ts), which alone holds the token.
  "GATEWAY_URL",
  "GATEWAY_TOKEN",
  "RUNNER_SECRETS_FILE",
  "AGENT_UID",
  "AGENT_GID",
  "PLATFORM_URL",
  "HEARTBEAT_INTERVAL_MS",
  "RECONNECT_MAX_MS",
  "CLAUDE_BIN",
  "RUNNER_LOG_LEVEL",
  "NODE_OPTIONS",
];

const Env = z
  .object({
    SESSION_ID: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "SESSION_ID must be URL-safe"),
    PLATFORM_URL: z.url({ protocol: /^https?$/ }),
    // Absolute: Claude Code starts there, and a relative path would depend on the runner's own
    // directory, which may be gone.
    WORKSPACE_DIR: z.string().refine(path.isAbsolute, "must be an absolute path").default("/workspace"),
    CLAUDE_BIN: z.string().min(1).default("claude"),
    GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
    HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
    RECONNECT_MAX_MS: z.coerce.number().int().min(100).default(5_000),
    // Not 0: Claude Code as root is what running it as another user is meant to avoid.
    AGENT_UID: z.coerce
      .number()
      .int()
      .min(1)
      .max(2 ** 32 - 2)
      .optional(),
    AGENT_GID: z.coerce
      .number()
      .int()
      .min(1)
      .max(2 ** 32 - 2)
      .optional(),
  })
  .refine((e) => (e.AGENT_UID === undefined) === (e.AGENT_GID === undefined), {
    message: "set both AGENT_UID and AGENT_GID, or neither",
    path: ["AGENT_UID"],
  });

/**
 * Reads and validates the runner's environment; throws a readable error naming the bad variables.
 * The token comes separately (secrets.ts): it is not taken from the environment here.
 */
export function loadRunnerConfig(env: NodeJS.ProcessEnv, runnerToken: string): RunnerConfig {
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
    runnerToken,
    workspaceDir: e.WORKSPACE_DIR,
    // Read now: once the runner acts as the agent user (uid != euid), Node's os.tmpdir() ignores TMPDIR.
    tmpDir: env["TMPDIR"] || os.tmpdir(),
    claudeBin: e.CLAUDE_BIN,
    heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
    reconnectMaxMs: e.RECONNECT_MAX_MS,
    agentUser: e.AGENT_UID !== undefined && e.AGENT_GID !== undefined ? { uid: e.AGENT_UID, gid: e.AGENT_GID } : undefined,
    agentEnv,
    gatewayUrl: e.GATEWAY_URL,
  };
}
