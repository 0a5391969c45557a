// The agent sees its workspace as /workspace in every backend (issue 14): the container has it
// there, and the local sandbox host runs each runner in a private mount namespace with the
// sandbox's own workspace directory bind-mounted on /workspace. So the paths a transcript shows
// are the ones the file API takes, and Claude Code's conversation store (kept per working
// directory) is found again after a restore into another sandbox directory.
//
// It needs Linux, `unshare` and the right to mount (root, as in CI and the demo machine); where
// that fails the runner works in the real directory, as before, and says so in the host's log.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where the agent finds its workspace, as in the container image (schemas/files.ts WORKSPACE_ROOT). */
export const AGENT_WORKSPACE = "/workspace";

// `sh -c SCRIPT REAL CMD ARGS...`: $0 is the real directory; exec keeps the runner's pid, so the
// sandbox host's process group and exit status are the runner's own.
const MOUNT_AND_EXEC = `mount --bind -- "$0" ${AGENT_WORKSPACE} && exec "$@"`;

let available: boolean | undefined;

/** Whether runners can get a private /workspace here (probed once: a bind mount in a throwaway namespace). */
export function workspaceMountAvailable(): boolean {
  if (available !== undefined) return available;
  available = false;
  if (process.platform !== "linux") return available;
  const probe = mkdtempSync(path.join(os.tmpdir(), "workspace-probe-"));
  try {
    mkdirSync(AGENT_WORKSPACE, { recursive: true }); // the mount point; empty on the host itself
    const result = spawnSync("unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", MOUNT_AND_EXEC, probe, "true"], {
      stdio: "ignore",
      timeout: 10_000,
    });
    available = result.status === 0;
  } catch {
    available = false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  if (!available) process.stderr.write(`sandbox host: no private ${AGENT_WORKSPACE} mount here; agents see their real workspace paths\n`);
  return available;
}

/** The command that starts `command args` with `realWorkspace` on /workspace, when that is available. */
export function launchWithWorkspace(
  realWorkspace: string,
  command: string,
  args: string[],
): { command: string; args: string[]; workspace: string } {
  if (!workspaceMountAvailable()) return { command, args, workspace: realWorkspace };
  return {
    command: "unshare",
    args: ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", MOUNT_AND_EXEC, realWorkspace, command, ...args],
    workspace: AGENT_WORKSPACE,
  };
}
