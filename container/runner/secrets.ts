// The runner's secrets, taken out of its environment before anything else runs. A process's
// initial environment stays readable in /proc/<pid>/environ for its whole life (deleting a
// variable from process.env does not change that), and Claude Code may run as the same user:
// a sandbox that can should hand the token over in a file, which is gone before Claude Code starts.
import { closeSync, fstatSync, openSync, readFileSync, unlinkSync } from "node:fs";
import { z } from "zod";

/** The secrets the runner uses, and how they arrived. */
export type RunnerSecrets = {
  runnerToken: string;
  /** The model-gateway token, which only the loopback proxy uses (gateway-proxy.ts); absent when the platform sent none. */
  gatewayToken?: string;
  /**
   * `file`: RUNNER_SECRETS_FILE (read, then deleted); `claim`: a warm runner's claim on its stdin
   * (schemas/warm-claim.ts); `env`: the RUNNER_TOKEN variable (compatibility).
   */
  source: "file" | "claim" | "env";
};

/** Content of the RUNNER_SECRETS_FILE: JSON `{"RUNNER_TOKEN": "...", "GATEWAY_TOKEN": "..."}` (the latter optional). */
const SecretsFile = z.object({ RUNNER_TOKEN: z.string().min(1), GATEWAY_TOKEN: z.string().min(1).optional() });

/**
 * Takes the secrets from `claimed` (a warm runner's claim), else from RUNNER_SECRETS_FILE
 * (deleting the file) or, failing that, from RUNNER_TOKEN and GATEWAY_TOKEN, and removes those
 * variables from `env` so no child inherits them by accident. Throws a message that never
 * contains the secret.
 */
export function takeRunnerSecrets(
  env: NodeJS.ProcessEnv,
  claimed?: { RUNNER_TOKEN: string; GATEWAY_TOKEN?: string | undefined },
): RunnerSecrets {
  const file = env["RUNNER_SECRETS_FILE"];
  const fromEnv = env["RUNNER_TOKEN"];
  const gatewayFromEnv = env["GATEWAY_TOKEN"];
  delete env["RUNNER_SECRETS_FILE"];
  delete env["RUNNER_TOKEN"];
  delete env["GATEWAY_TOKEN"];
  if (claimed)
    return {
      runnerToken: claimed.RUNNER_TOKEN,
      ...(claimed.GATEWAY_TOKEN ? { gatewayToken: claimed.GATEWAY_TOKEN } : {}),
      source: "claim",
    };
  if (file) {
    const secrets = readAndDelete(file);
    return { runnerToken: secrets.RUNNER_TOKEN, ...(secrets.GATEWAY_TOKEN ? { gatewayToken: secrets.GATEWAY_TOKEN } : {}), source: "file" };
  }
  if (fromEnv) return { runnerToken: fromEnv, ...(gatewayFromEnv ? { gatewayToken: gatewayFromEnv } : {}), source: "env" };
  throw new Error("invalid runner environment: RUNNER_SECRETS_FILE (or RUNNER_TOKEN) is required");
}

function readAndDelete(file: string): z.infer<typeof SecretsFile> {
  let text: string;
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new Error(`cannot open RUNNER_SECRETS_FILE: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  try {
    // Unlinked before it is even read, so it is gone however the rest goes. Only a regular
    // file: a path such as /dev/fd/3 (a pipe the launcher holds) has nothing to delete.
    if (fstatSync(fd).isFile()) {
      try {
        unlinkSync(file);
      } catch (error) {
        // Fail closed: a secrets file that stays on disk is what this mechanism exists to avoid.
        throw new Error(`cannot delete RUNNER_SECRETS_FILE: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
      }
    }
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which is the secret.
    throw new Error("RUNNER_SECRETS_FILE is not valid JSON");
  }
  const parsed = SecretsFile.safeParse(json);
  if (!parsed.success) throw new Error('RUNNER_SECRETS_FILE must hold {"RUNNER_TOKEN": "<non-empty string>"}');
  return parsed.data;
}
