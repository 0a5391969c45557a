// The system tar as a child process, for the workspace archive (workspace-archive.ts packs with
// it, archive-unpack.ts unpacks a download streamed into its stdin).
import { spawn } from "node:child_process";
import type { Writable } from "node:stream";
import { NEUTRAL_CWD, spawnIdentity, withSpawnPrivilege, type AgentUser } from "./agent-user.ts";

/** A started tar: its stdin (when asked for), its end, and a way to stop it. */
export type TarProcess = {
  stdin: Writable | null;
  /** Resolves on an accepted exit code (or a failure whose stderr matches `tolerated`); rejects with tar's last words otherwise. */
  done: Promise<void>;
  kill(): void;
};

/**
 * Starts the system tar as `user` (real and effective uid, so neither tar nor the gzip it may
 * start keeps a way back to root while it reads and writes the agent's files), with nothing of
 * the runner's environment but PATH.
 */
export function startTar(
  args: string[],
  user: AgentUser | undefined,
  okCodes: number[],
  options: { stdin?: boolean; tolerated?: RegExp } = {},
): TarProcess {
  const spawnOptions = {
    stdio: [options.stdin ? "pipe" : "ignore", "ignore", "pipe"] as ["pipe" | "ignore", "ignore", "pipe"],
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    // Its paths are absolute (-C): the runner's directory, which may be gone, has no part in them.
    cwd: NEUTRAL_CWD,
    ...spawnIdentity(user),
  };
  const child = withSpawnPrivilege(user, () => spawn("tar", args, spawnOptions));
  const done = new Promise<void>((resolve, reject) => {
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      if (stderr.length < 4_000) stderr += chunk;
    });
    child.once("error", (error) => reject(new Error(`cannot run tar: ${error.message}`)));
    child.once("close", (code) => {
      if (code !== null && okCodes.includes(code)) resolve();
      else if (options.tolerated?.test(stderr)) resolve();
      else reject(new Error(`tar exited with ${code ?? "a signal"}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
  return {
    stdin: child.stdin,
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Runs tar to its end (see `startTar`). */
export function runTar(args: string[], user: AgentUser | undefined, okCodes: number[], tolerated?: RegExp): Promise<void> {
  return startTar(args, user, okCodes, tolerated ? { tolerated } : {}).done;
}
