/**
 * A test double of `@cloudflare/containers`' `Container`, for end-to-end runs of the production
 * sandbox path (SessionDO → ContainerBackend → the real SandboxContainer class) where workerd
 * cannot run containers (container/README.md: its networking sidecar image is only on Docker Hub).
 * A generated wrangler config aliases the package to this file (test/node/e2e/container-backend.test.ts),
 * and each container start runs the session's image through the local sandbox host in container
 * mode (SANDBOX_HOST_URL, SANDBOX_HOST_TOKEN). Only what SandboxContainer uses is here:
 * start({envVars}), destroy(), getState() and the onStop hook, with the package's semantics
 * (onStop gets the container's exit code once it has stopped).
 */
import { DurableObject } from "cloudflare:workers";

type HostEnv = { SANDBOX_HOST_URL?: string; SANDBOX_HOST_TOKEN?: string };
type StopParams = { exitCode: number; reason: "exit" | "runtime_signal" };
type State =
  | { status: "running" | "stopping" | "stopped" | "healthy"; lastChange: number }
  | { status: "stopped_with_code"; lastChange: number; exitCode?: number };

const SESSION_KEY = "fake-container:session";

export class Container<Env = Cloudflare.Env> extends DurableObject<Env> {
  sleepAfter: string | number = "10m";
  enableInternet = true;
  #stopReported = false;

  async start(options: { envVars?: Record<string, string>; enableInternet?: boolean } = {}): Promise<void> {
    const envVars = options.envVars ?? {};
    const sessionId = envVars["SESSION_ID"];
    if (!sessionId) throw new Error("fake container: envVars.SESSION_ID is required to name the sandbox");
    await this.ctx.storage.put(SESSION_KEY, sessionId);
    this.#stopReported = false;
    await this.#call("POST", "/sandboxes", { session_id: sessionId, env: envVars });
  }

  async destroy(): Promise<void> {
    const sessionId = await this.ctx.storage.get<string>(SESSION_KEY);
    if (!sessionId) return;
    await this.#call("DELETE", `/sandboxes/${sessionId}`, undefined, [404]);
    await this.getState();
  }

  async getState(): Promise<State> {
    const sessionId = await this.ctx.storage.get<string>(SESSION_KEY);
    const state = sessionId
      ? ((await this.#call("GET", `/sandboxes/${sessionId}`, undefined, [404])) as { running: boolean; exit_code: number | null } | null)
      : null;
    if (state?.running) return { status: "running", lastChange: Date.now() };
    const exitCode = state?.exit_code ?? undefined;
    if (exitCode !== undefined && !this.#stopReported) {
      this.#stopReported = true;
      await this.onStop({ exitCode, reason: "exit" });
    }
    return exitCode === undefined
      ? { status: "stopped", lastChange: Date.now() }
      : { status: "stopped_with_code", lastChange: Date.now(), exitCode };
  }

  onStop(_params: StopParams): void | Promise<void> {}

  async #call(method: string, path: string, body?: unknown, tolerated: number[] = []): Promise<unknown> {
    const env = this.env as HostEnv;
    if (!env.SANDBOX_HOST_URL || !env.SANDBOX_HOST_TOKEN)
      throw new Error("fake container: SANDBOX_HOST_URL and SANDBOX_HOST_TOKEN are required");
    const response = await fetch(env.SANDBOX_HOST_URL + path, {
      method,
      headers: { authorization: `Bearer ${env.SANDBOX_HOST_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (tolerated.includes(response.status)) return null;
    if (!response.ok)
      throw new Error(`fake container: the sandbox host answered ${response.status} to ${method} ${path}: ${await response.text()}`);
    return response.json();
  }
}
