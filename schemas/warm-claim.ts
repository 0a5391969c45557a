// The one line a local sandbox host writes to a warm runner's stdin when a session claims it
// (sandbox-host/warm-pool.ts, container/runner/warm-start.ts). A warm runner is started with no
// session at all: no id, no platform address, no token, an empty workspace. The claim brings the
// session's environment and its tokens: a process (same user as the agent) gets the path of the
// 0600 secrets file holding them (runner-secrets.ts); a container's runner (root, the agent
// another user who cannot read its stdin) gets them in `secrets`, on the pipe, so they are never
// in the container's environment (`podman inspect`) nor on any disk.
import { z } from "zod";

/** The variable (value "1") that starts a runner warm: it waits for its claim on stdin. */
export const WARM_RUNNER_VAR = "RUNNER_WARM";

/** The longest claim line a warm runner reads; a session's environment is a few hundred bytes. */
export const MAX_WARM_CLAIM_BYTES = 64 * 1024;

/** The claim: variables the runner sets in its environment before it reads its config, and its tokens. */
export const WarmClaim = z.strictObject({
  env: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    z.string().refine((v) => !v.includes("\0"), "NUL in value"),
  ),
  /** The tokens themselves (container mode); never set into the runner's environment. */
  secrets: z.strictObject({ RUNNER_TOKEN: z.string().min(1), GATEWAY_TOKEN: z.string().min(1).optional() }).optional(),
});
export type WarmClaim = z.infer<typeof WarmClaim>;
