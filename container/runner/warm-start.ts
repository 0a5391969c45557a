// A warm start: the local sandbox host starts runners ahead of demand (sandbox-host/warm-pool.ts)
// so a new session skips Node's start and the Claude Code probe. Such a runner holds nothing of
// any session: it waits, with an empty workspace, for the one claim line the host writes to its
// stdin (schemas/warm-claim.ts), sets those variables in its environment and carries on exactly
// as a runner started for that session would (main.ts): the tokens are taken from the secrets
// file the claim names (deleted before anything else) or, in a container, from the claim itself.
import { MAX_WARM_CLAIM_BYTES, WARM_RUNNER_VAR, WarmClaim } from "../../schemas/warm-claim.ts";
import type { AgentUser } from "./agent-user.ts";

/** True when the runner was started warm (and forgets the marker, which no child needs). */
export function takeWarmStart(env: NodeJS.ProcessEnv): boolean {
  const warm = env[WARM_RUNNER_VAR] === "1";
  delete env[WARM_RUNNER_VAR];
  return warm;
}

/**
 * The agent user a warm runner already knows (the image sets AGENT_UID/AGENT_GID, which no claim
 * can change: the container host reserves them), so it probes the CLI as that user, as a cold one
 * does; undefined when unset or malformed (the config then decides, after the claim).
 */
export function warmAgentUser(env: NodeJS.ProcessEnv): AgentUser | undefined {
  const uid = Number(env["AGENT_UID"]);
  const gid = Number(env["AGENT_GID"]);
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n < 2 ** 32 - 1;
  return env["AGENT_UID"] && env["AGENT_GID"] && valid(uid) && valid(gid) ? { uid, gid } : undefined;
}

/**
 * Waits for the claim on `input` and returns it; null when the input ends first (the host
 * discarded this runner unclaimed). Throws on a malformed or oversized claim. The input is
 * closed afterwards: nothing else is ever read from it.
 */
export async function awaitWarmClaim(input: NodeJS.ReadableStream & { destroy(): void }): Promise<WarmClaim | null> {
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

function parseClaim(line: string): WarmClaim {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    // Not the parser's message: it would quote the line.
    throw new Error("the warm claim is not valid JSON");
  }
  const parsed = WarmClaim.safeParse(json);
  if (!parsed.success) throw new Error('the warm claim is not {"env": {NAME: value}, "secrets"?: {...}}');
  return parsed.data;
}
