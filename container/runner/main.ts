// Entry point of the runner inside a sandbox: `node container/runner/main.ts`.
// Connects to the session's Durable Object and drives one Claude Code process until shut down.
import { loadRunnerConfig } from "./config.ts";
import { probeClaudeCapabilities } from "./claude-process.ts";
import { createLogger } from "./log.ts";
import { SessionRunner } from "./session-runner.ts";

const log = createLogger("runner");

let config;
try {
  config = loadRunnerConfig(process.env);
} catch (error) {
  log.error((error as Error).message);
  process.exit(2);
}

// Probe the CLI while the socket connects, so the first start does not wait for it.
const capabilities = probeClaudeCapabilities(config.claudeBin, config.agentEnv, log);
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
