// A warm start: the local sandbox host starts runners ahead of demand (sandbox-host/warm-pool.ts)
// so a new session skips Node's start and the Claude Code probe. Such a runner holds nothing of
// any session: it waits, with an empty workspace, for the one claim line the host writes to its
// stdin (schemas/warm-claim.ts), sets those variables in its environment and carries on exactly
// as a runner started for that session would (main.ts): the tokens are still taken from the
// secrets file the claim names, which the runner deletes before anything else.
import { MAX_WARM_CLAIM_BYTES, WARM_RUNNER_VAR, WarmClaim } from "../../schemas/warm-claim.ts";

/** True when the runner was started warm (and forgets the marker, which no child needs). */
export function takeWarmStart(env: NodeJS.ProcessEnv): boolean {
  const warm = env[WARM_RUNNER_VAR] === "1";
  delete env[WARM_RUNNER_VAR];
  return warm;
}

/**
 * Waits for the claim on `input` and returns its variables; null when the input ends first (the
 * host discarded this runner unclaimed). Throws on a malformed or oversized claim. The input is
 * closed afterwards: nothing else is ever read from it.
 */
export async function awaitWarmClaim(input: NodeJS.ReadableStream & { destroy(): void }): Promise<Record<string, string> | null> {
  let text = "";
  try {
    for await (const chunk of input) {
      text += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
      if (text.length > MAX_WARM_CLAIM_BYTES) throw new Error("the warm claim exceeds its size limit");
      const end = text.indexOf("\n");
      if (end >= 0) return parseClaim(text.slice(0, end));
    }
    return text.trim() ? parseClaim(text) : null;
  } finally {
    input.destroy();
  }
}

function parseClaim(line: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    // Not the parser's message: it would quote the line.
    throw new Error("the warm claim is not valid JSON");
  }
  const parsed = WarmClaim.safeParse(json);
  if (!parsed.success) throw new Error('the warm claim is not {"env": {NAME: value}}');
  return parsed.data.env;
}
