/**
 * The development/test backend: asks the local sandbox host (sandbox-host/, a Node process on
 * loopback) to run the runner as a child process in its own workspace directory.
 */
import type { RunnerProcessState, SandboxBackend } from "./backend.ts";

/** How long one call to the sandbox host may take. */
const SANDBOX_HOST_TIMEOUT_MS = 15_000;

export class LocalHostBackend implements SandboxBackend {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly sessionId: string;

  constructor(baseUrl: string, token: string, sessionId: string) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.token = token;
    this.sessionId = sessionId;
  }

  async start(env: Record<string, string>): Promise<void> {
    await this.call("POST", "/sandboxes", { session_id: this.sessionId, env });
  }

  async stop(): Promise<void> {
    await this.call("DELETE", `/sandboxes/${this.sessionId}`, undefined, [404]);
  }

  async describe(): Promise<RunnerProcessState> {
    const state = (await this.call("GET", `/sandboxes/${this.sessionId}`, undefined, [404])) as {
      running?: boolean;
      exit_code?: number | null;
      signal?: string | null;
    } | null;
    // 404: this host never started the session's sandbox, so the one that did is gone (a restart).
    if (!state) return { running: false, exitCode: null, signal: null, lost: true };
    return { running: state.running ?? false, exitCode: state.exit_code ?? null, signal: state.signal ?? null };
  }

  private async call(method: string, path: string, body?: unknown, tolerated: number[] = []): Promise<unknown> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(SANDBOX_HOST_TIMEOUT_MS),
    });
    if (tolerated.includes(response.status)) return null;
    if (!response.ok)
      throw new Error(`sandbox host answered ${response.status} to ${method} ${path}: ${(await response.text()).slice(0, 200)}`);
    return response.json();
  }
}
