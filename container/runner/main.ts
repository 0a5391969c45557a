// Entry point of the runner inside a sandbox: `node container/runner/main.ts`.
// Connects to the session's Durable Object and drives one Claude Code process until shut down.
import { actAsAgent } from "./agent-user.ts";
import { loadRunnerConfig, type RunnerConfig } from "./config.ts";
import { probeClaudeCapabilities } from "./claude-process.ts";
import { agentGatewayEnv, startGatewayProxy } from "./gateway-proxy.ts";
import { createLogger } from "./log.ts";
import { takeRunnerSecrets, type RunnerSecrets } from "./secrets.ts";
import { SessionRunner } from "./session-runner.ts";
import { awaitWarmClaim, takeWarmStart, warmAgentUser } from "./warm-start.ts";
import type { AgentUser } from "./agent-user.ts";
import type { ClaudeCapabilities } from "./claude-command.ts";
import type { WarmClaim } from "../../schemas/warm-claim.ts";

const log = createLogger("runner");

// Started warm (sandbox-host/warm-pool.ts): probe the CLI now, then wait for a session to claim
// this runner; its claim brings the session's variables (the tokens in the secrets file it
// names or, in a container, in the claim itself: never in this process's environment).
let warmProbe: { bin: string; user: AgentUser | undefined; capabilities: Promise<ClaudeCapabilities> } | undefined;
let claimedSecrets: WarmClaim["secrets"];
if (takeWarmStart(process.env)) {
  const bin = process.env["CLAUDE_BIN"] ?? "claude";
  let claim: WarmClaim | null;
  try {
    // In a container the agent user is known already (the image's): act as it before touching
    // anything, as a cold runner does, and probe the CLI as that user (its home, its files).
    const user = warmAgentUser(process.env);
    if (user) actAsAgent(user);
    warmProbe = { bin, user, capabilities: probeClaudeCapabilities(bin, definedOnly(process.env), user, log) };
    claim = await awaitWarmClaim(process.stdin);
  } catch (error) {
    log.error((error as Error).message);
    process.exit(2);
  }
  if (!claim) {
    log.info("warm runner released unclaimed");
    process.exit(0);
  }
  Object.assign(process.env, claim.env);
  claimedSecrets = claim.secrets;
}

let config: RunnerConfig;
let secrets: RunnerSecrets;
try {
  // First of all, so the secrets file is off the disk whatever happens next.
  secrets = takeRunnerSecrets(process.env, claimedSecrets);
  config = loadRunnerConfig(process.env, secrets.runnerToken);
  // Before anything touches the disk: files the runner makes belong to the agent from here on.
  if (config.agentUser) actAsAgent(config.agentUser);
} catch (error) {
  log.error((error as Error).message);
  process.exit(2);
}
if (secrets.source === "env") {
  if (config.agentUser) {
    log.info("runner token from the environment; Claude Code runs as another user and cannot read it", { agent_uid: config.agentUser.uid });
  } else {
    log.warn(
      "runner token from the RUNNER_TOKEN variable: Claude Code runs as this same user and can read it in " +
        "/proc/<runner pid>/environ; pass RUNNER_SECRETS_FILE, or run the runner as root with AGENT_UID/AGENT_GID",
    );
  }
}

// Claude Code reaches the model gateway only through the loopback proxy, which holds the token.
if (config.gatewayUrl && secrets.gatewayToken) {
  const proxy = await startGatewayProxy({ gatewayUrl: config.gatewayUrl, token: secrets.gatewayToken, log });
  Object.assign(config.agentEnv, agentGatewayEnv(proxy));
  log.info("model gateway proxy listening", { url: proxy.url });
}

// Probe the CLI while the socket connects, so the first start does not wait for it (a warm
// runner has already, as the same user: the probe may write that user's config directory).
const capabilities =
  warmProbe &&
  warmProbe.bin === config.claudeBin &&
  warmProbe.user?.uid === config.agentUser?.uid &&
  warmProbe.user?.gid === config.agentUser?.gid
    ? warmProbe.capabilities
    : probeClaudeCapabilities(config.claudeBin, config.agentEnv, config.agentUser, log);
const runner = new SessionRunner(config, capabilities, log);
runner.start();

const stop = (signal: string): void => {
  log.info(`received ${signal}`);
  void runner.shutdown();
};
process.once("SIGTERM", () => stop("SIGTERM"));
process.once("SIGINT", () => stop("SIGINT"));
let crashing = false;
process.on("uncaughtException", (error) => {
  if (crashing) return; // an error while shutting down after the first one: exit is under way
  crashing = true;
  log.error("uncaught exception", { error: error.stack ?? error.message });
  const force = setTimeout(() => process.exit(1), 5_000);
  void runner.shutdown().finally(() => {
    clearTimeout(force);
    process.exit(1);
  });
});

await runner.done;
log.info("runner stopped");
process.exit(0);

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
