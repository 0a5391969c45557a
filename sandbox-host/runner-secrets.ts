// Handing the runner its token without putting it in the runner's environment, where Claude Code
// (same user here) could read it from /proc/<runner pid>/environ for the runner's whole life.
// The token goes into a file the runner reads and deletes first thing (container/runner/secrets.ts),
// before it connects, so before Claude Code (started only once the platform configured it) exists.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/** The name of the host's secrets directory under its root; session ids cannot contain a dot. */
export const SECRETS_DIR_NAME = ".runner-secrets";

/** One secrets file handed to one runner start. */
export type SecretsHandoff = {
  /** For the runner's RUNNER_SECRETS_FILE. */
  path: string;
  /** Deletes the file if the runner has not (it died or never started); safe to call twice. */
  discard(): Promise<void>;
};

/** The secrets one runner start gets: its channel token, and the model-gateway token when the platform sent one. */
export type RunnerSecretValues = { RUNNER_TOKEN: string; GATEWAY_TOKEN?: string };

/**
 * Writes `{"RUNNER_TOKEN": ..., "GATEWAY_TOKEN": ...}` to a new file in `<root>/.runner-secrets/`: outside every
 * sandbox's own directory (workspace, home, temp and log are the agent's to look at), the
 * directory private to the host (0700) and the file too (0600), under a random name. Modes keep
 * other users out; Claude Code runs as the host's own user here, and what keeps it from the file
 * is that the runner has deleted it before Claude Code starts.
 */
export async function writeRunnerSecrets(root: string, sessionId: string, secrets: RunnerSecretValues): Promise<SecretsHandoff> {
  const dir = path.join(root, SECRETS_DIR_NAME);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a directory that already existed with another one.
  await chmod(dir, 0o700);
  const file = path.join(dir, `${sessionId}-${randomBytes(16).toString("hex")}.json`);
  // "wx": a new file, never through one (or a symlink) that is already there.
  await writeFile(file, JSON.stringify(secrets), { mode: 0o600, flag: "wx" });
  // Best effort, and never rejecting: it runs from exit handlers.
  return { path: file, discard: () => rm(file, { force: true }).catch(() => undefined) };
}
