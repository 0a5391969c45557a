/**
 * Resident memory of the processes a benchmark started (wrangler, the workerd it runs, ...),
 * read from /proc (Linux only): which processes descend from this one, and each one's VmRSS.
 * The memory figures (upload, NDJSON ingestion) sample it while their request streams.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The ids of every process descending from `root` (this benchmark: wrangler, workerd, ...). */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the parent id follows the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) if (ppid === parent) found.push(pid), queue.push(pid);
  }
  return found;
}

/** VmRSS in MB of each of `pids`, by "name pid" (a process that ended counts 0). */
export function rssByProcess(pids: number[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? "?";
      sizes.set(`${name} ${pid}`, Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // the process ended meanwhile
    }
  }
  return sizes;
}

export const total = (sizes: Map<string, number>) => [...sizes.values()].reduce((a, b) => a + b, 0);
