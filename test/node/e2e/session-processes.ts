// Finding a session's runner among this machine's processes, as the tests that kill one do. A
// runner started for its session has SESSION_ID in its own environment; one claimed from the
// sandbox host's warm pool was started before any session (sandbox-host/warm-pool.ts) and only
// passes it to what it starts, so it is found as the parent of the agent's processes.
import { readdirSync, readFileSync } from "node:fs";

const RUNNER_MAIN = "runner/main.ts";

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return ""; // gone, or not ours to read
  }
}

function parentOf(pid: number): number {
  return Number(
    read(`/proc/${pid}/stat`)
      .replace(/^.*\) /, "")
      .split(" ")[1] ?? 0,
  );
}

/** The pids of the runners of session `sessionId` (one, while its sandbox runs). */
export function runnerPidsOf(sessionId: string): number[] {
  const runners = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (!read(`/proc/${pid}/environ`).split("\0").includes(`SESSION_ID=${sessionId}`)) continue;
    for (const candidate of [pid, parentOf(pid)]) {
      if (candidate > 1 && read(`/proc/${candidate}/cmdline`).includes(RUNNER_MAIN)) runners.add(candidate);
    }
  }
  return [...runners];
}
