// The one line a local sandbox host writes to a warm runner's stdin when a session claims it
// (sandbox-host/warm-pool.ts, container/runner/warm-start.ts). A warm runner is started with no
// session at all: no id, no platform address, no token, an empty workspace. The claim brings the
// session's environment, and the path of the 0600 secrets file holding its tokens, never the
// tokens themselves (runner-secrets.ts).
import { z } from "zod";

/** The variable (value "1") that starts a runner warm: it waits for its claim on stdin. */
export const WARM_RUNNER_VAR = "RUNNER_WARM";

/** The longest claim line a warm runner reads; a session's environment is a few hundred bytes. */
export const MAX_WARM_CLAIM_BYTES = 64 * 1024;

/** The claim: variables the runner sets in its environment before it reads its config. */
export const WarmClaim = z.strictObject({
  env: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    z.string().refine((v) => !v.includes("\0"), "NUL in value"),
  ),
});
export type WarmClaim = z.infer<typeof WarmClaim>;
