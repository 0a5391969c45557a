/** Picks the sandbox backend from configuration: `SANDBOX_BACKEND=local` or the default Container. */
import type { Env } from "../../../platform/env.ts";
import type { SandboxBackend } from "./backend.ts";
import { ContainerBackend } from "./container-backend.ts";
import { LocalHostBackend } from "./local-host-backend.ts";

/** The backend for `sessionId`. Throws when the local backend is chosen but not configured. */
export function sandboxFor(env: Env, sessionId: string): SandboxBackend {
  if (env.SANDBOX_BACKEND === "local") {
    if (!env.SANDBOX_HOST_URL || !env.SANDBOX_HOST_TOKEN)
      throw new Error("SANDBOX_BACKEND=local needs SANDBOX_HOST_URL and SANDBOX_HOST_TOKEN");
    return new LocalHostBackend(env.SANDBOX_HOST_URL, env.SANDBOX_HOST_TOKEN, sessionId);
  }
  return new ContainerBackend(env.SANDBOX, sessionId);
}
