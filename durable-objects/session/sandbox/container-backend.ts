/** The production backend: the session's own Cloudflare Container (durable-objects/sandbox-container.ts). */
import type { SandboxContainerRpc } from "../../../platform/contracts/sandbox-container.ts";
import type { RunnerProcessState, SandboxBackend } from "./backend.ts";

export class ContainerBackend implements SandboxBackend {
  private readonly container: DurableObjectStub<SandboxContainerRpc>;

  constructor(namespace: DurableObjectNamespace<SandboxContainerRpc>, sessionId: string) {
    // The container is named after the session: one sandbox per session, found again after eviction.
    this.container = namespace.get(namespace.idFromName(sessionId));
  }

  async start(env: Record<string, string>): Promise<void> {
    await this.container.launch(env);
  }

  async stop(): Promise<void> {
    await this.container.halt();
  }

  async describe(): Promise<RunnerProcessState> {
    // The container reports an exit code only; a signal shows as 128 + its number there. Stopped
    // with no exit code seen: the container went away under the runner (moved, restarted).
    const state = await this.container.describe();
    return { ...state, signal: null, lost: !state.running && state.exitCode === null };
  }
}
