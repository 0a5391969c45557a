// Best-effort sweep of a sandbox's processes that escaped its process group: on Linux every
// process of a sandbox inherits its unique marker variable (local-sandbox.ts), which /proc/<pid>/environ shows.
import { readdir, readFile } from "node:fs/promises";

/** SIGKILLs every process (other than this one) whose initial environment has `name=value`; returns their pids. */
export async function killProcessesWithEnv(name: string, value: string): Promise<number[]> {
  if (process.platform !== "linux") return [];
  const entryWanted = `${name}=${value}`;
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    let environ: string;
    try {
      environ = await readFile(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.split("\0").includes(entryWanted)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  return killed;
}
