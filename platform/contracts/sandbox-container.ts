/** The production sandbox Container's boundary (`env.SANDBOX`), driven by the session DO. */

/** What the session DO can learn about its container. */
export interface ContainerState {
  running: boolean;
  exitCode: number | null;
}

export interface SandboxContainerRpc extends Rpc.DurableObjectBranded {
  /** Starts the runner with the session's environment (ids, runner token, gateway URL). */
  launch(envVars: Record<string, string>): Promise<void>;
  /** Stops the runner and everything it started. */
  halt(): Promise<void>;
  /** Whether the runner is still up, and how it ended if not. */
  describe(): Promise<ContainerState>;
}
