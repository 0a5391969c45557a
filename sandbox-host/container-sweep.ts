// Containers that outlived their sandbox host (it was killed, or the machine's test run was):
// each container carries its host's pid as a label, and a container-mode host starting up
// removes those whose host is gone. A leftover runner would otherwise keep redialling a dead
// platform with its token, holding CPU, memory and the session's files, until someone noticed.
import { engineExec } from "./container-engine.ts";

/** The label holding the pid of the sandbox host that started a container. */
export const HOST_PID_LABEL = "ai-sessions.host-pid";

/** Removes every container whose sandbox host process no longer exists; returns their names. */
export async function removeOrphanedContainers(bin: string): Promise<string[]> {
  const listed = await engineExec(bin, [
    "ps",
    "--all",
    "--filter",
    `label=${HOST_PID_LABEL}`,
    "--format",
    `{{.Names}} {{index .Labels "${HOST_PID_LABEL}"}}`,
  ]);
  if (listed.code !== 0) return [];
  const orphans: string[] = [];
  for (const line of listed.stdout.split("\n")) {
    const [name, pid] = line.trim().split(/\s+/);
    if (name && pid && !processExists(Number(pid))) orphans.push(name);
  }
  // One at a time: the engine stops at the first name that is gone by now.
  for (const name of orphans) await engineExec(bin, ["rm", "--force", name]);
  return orphans;
}

function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
