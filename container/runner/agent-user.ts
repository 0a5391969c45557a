// Privilege separation for sandboxes that can only hand the runner its token in the environment
// (the Cloudflare Container): the runner starts as root and Claude Code runs as an unprivileged
// user, which can neither read /proc/<runner>/environ nor ptrace or signal the runner, because
// the runner's real and saved uid stay 0.
//
// Everything else the runner does (temporary files, uploads into and downloads from the
// workspace) happens with the agent's effective uid: the agent owns the workspace and could
// race symlinks into it, and with root's effective uid such a race would write or read as root.
// Root's effective uid comes back only around the synchronous fork+exec of a spawn, which
// spawn's own uid/gid switch needs.

/** The unprivileged identity Claude Code runs as (AGENT_UID / AGENT_GID). */
export type AgentUser = { uid: number; gid: number };

function posix(): Required<Pick<NodeJS.Process, "getuid" | "seteuid" | "setegid" | "setgroups">> {
  const { getuid, seteuid, setegid, setgroups } = process;
  if (!getuid || !seteuid || !setegid || !setgroups) throw new Error("AGENT_UID needs a POSIX platform");
  return { getuid, seteuid, setegid, setgroups };
}

/**
 * Switches the runner's effective identity (and groups) to `user`, keeping root as the real
 * and saved uid. Throws when the runner does not run as root: without it, Claude Code could
 * not be started as another user, and running it as the runner's own user would leave the
 * token readable, so refusing to start is the safe answer.
 */
export function actAsAgent(user: AgentUser): void {
  const os = posix();
  if (os.getuid() !== 0) throw new Error("AGENT_UID/AGENT_GID need the runner to start as root");
  // Root's effective uid first: a warm runner acted as the agent before its claim (main.ts) and
  // does so again once claimed, and setgroups/setegid need it.
  os.seteuid(0);
  os.setgroups([user.gid]);
  os.setegid(user.gid);
  os.seteuid(user.uid);
}

/**
 * Runs `start`, which spawns a process, with root's effective uid when there is an agent user,
 * then returns to the agent's. Spawn forks and execs synchronously, so the window is that long;
 * the euid is per process, so a file operation on libuv's thread pool at that very moment would
 * run as root too (a transfer the platform asked for, racing a Claude Code start: rare, and the
 * workspace checks of workspace-files.ts still apply).
 */
export function withSpawnPrivilege<T>(user: AgentUser | undefined, start: () => T): T {
  if (!user) return start();
  const os = posix();
  os.seteuid(0);
  try {
    return start();
  } finally {
    os.seteuid(user.uid);
  }
}

/**
 * The working directory of the runner's children that need none of their own (the CLI probe,
 * tar, which is given absolute paths): never the runner's, inherited, which may have been
 * removed since it started (a warm runner's directory goes when it takes over a stopped
 * session's, and Claude Code refuses to start in a directory that no longer exists). `/` exists
 * in every sandbox, every user can enter it, and it holds nothing the agent can write.
 */
export const NEUTRAL_CWD = "/";

/** spawn/execFile options that start the child as `user` (no supplementary groups); none without one. */
export function spawnIdentity(user: AgentUser | undefined): { uid?: number; gid?: number } {
  return user ? { uid: user.uid, gid: user.gid } : {};
}
