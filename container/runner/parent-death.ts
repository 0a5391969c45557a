// Parent-death signal for Claude Code: the agent must not outlive its runner. A runner killed
// with SIGKILL cannot stop its child, and an orphaned Claude Code keeps calling the model (billed)
// with nobody reading its output. `setpriv --pdeathsig KILL` (util-linux) asks the kernel to
// SIGKILL the agent the moment the runner dies; it then execs Claude Code in place, so the pid
// the runner sees is Claude Code's own.
import { spawnSync } from "node:child_process";
import type { Logger } from "./log.ts";

/** A program and its argv. */
export type Command = { bin: string; args: string[] };

let setprivWorks: boolean | undefined;

/** Whether `setpriv --pdeathsig` runs here; probed once (it is absent on some minimal images). */
function hasSetpriv(log: Logger): boolean {
  if (setprivWorks === undefined) {
    const probe = spawnSync("setpriv", ["--pdeathsig", "KILL", "true"], { stdio: "ignore", timeout: 5_000 });
    setprivWorks = probe.status === 0;
    if (!setprivWorks) {
      log.warn(
        "setpriv --pdeathsig is unavailable; Claude Code will not die with the runner (the sandbox host still kills its process group)",
        {
          error: probe.error?.message ?? `exit ${probe.status}`,
        },
      );
    }
  }
  return setprivWorks;
}

/** Wraps `command` so the kernel SIGKILLs it when its parent dies. Pure. */
export function withParentDeathSignal(command: Command): Command {
  return { bin: "setpriv", args: ["--pdeathsig", "KILL", "--", command.bin, ...command.args] };
}

/** `command` under a parent-death signal when setpriv is available, else unchanged (logged once). */
export function dieWithParent(command: Command, log: Logger): Command {
  return hasSetpriv(log) ? withParentDeathSignal(command) : command;
}
