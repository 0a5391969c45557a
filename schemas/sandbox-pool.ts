// The local sandbox host's `GET /pool` answer: how many warm sandboxes it keeps
// (sandbox-host/warm-pool.ts) and how many are ready for a session now. Benchmarks wait on it so
// that every sample takes a warm sandbox and no refill runs during a measurement.
import { z } from "zod";

export const SandboxPoolState = z.strictObject({
  /** Warm sandboxes the host keeps; 0: no pool. */
  size: z.number().int().min(0),
  /** Started and waiting for a session now. */
  ready: z.number().int().min(0),
});
export type SandboxPoolState = z.infer<typeof SandboxPoolState>;
