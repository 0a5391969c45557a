/**
 * The production sandbox: one Cloudflare Container per session, running the image built
 * from container/Dockerfile (the runner starts as root and runs Claude Code as the unprivileged
 * `agent` user in /workspace, so the agent cannot read the runner's token from /proc).
 * The runner dials out to the platform over its own authenticated WebSocket, so the
 * container exposes no port; the session Durable Object drives it through these RPC methods.
 * Timers stay in the session DO: the Container class owns its own `alarm()`.
 */
import { Container } from "@cloudflare/containers";
import type { ContainerState, SandboxContainerRpc } from "../platform/contracts/sandbox-container.ts";

export class SandboxContainer extends Container implements SandboxContainerRpc {
  /** A session's container lives as long as the session DO says; it never sleeps on its own. */
  override sleepAfter = "24h";
  /** The agent reaches the model only through the platform's gateway, and MCP servers by URL. */
  override enableInternet = true;

  private lastExitCode: number | null = null;

  /** Starts the runner with the session's environment (ids, runner token, gateway URL). */
  async launch(envVars: Record<string, string>): Promise<void> {
    this.lastExitCode = null;
    await this.start({ envVars, enableInternet: true });
  }

  /** Stops the runner and everything it started. */
  async halt(): Promise<void> {
    await this.destroy();
  }

  /** Whether the runner is still up, and how it ended if not. */
  async describe(): Promise<ContainerState> {
    const state = await this.getState();
    return { running: state.status === "running" || state.status === "healthy", exitCode: this.lastExitCode };
  }

  override onStop(params: { exitCode: number; reason: string }): void {
    this.lastExitCode = params.exitCode;
  }
}
