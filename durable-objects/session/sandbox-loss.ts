/**
 * A sandbox lost while its session lives: the host under it restarted (`wrangler dev` or the
 * local sandbox host, a container moved or crashed) and took the runner with it, often without
 * the runner's socket ever reporting a close. Such a session must neither look alive nor drop a
 * prompt: it resumes from its latest checkpoint (the archive every finished turn leaves in R2,
 * hibernation.ts), exactly as a sleeping session wakes, and the turn that was running starts again.
 *
 * Pure: functions of the session state that update it in place and return effects (effects.ts).
 */
import { dropUploads } from "./checkpoint-uploads.ts";
import type { Effect } from "./effects.ts";
import { wake } from "./hibernation.ts";
import { cancelAsk } from "./pending-asks.ts";
import type { SessionState } from "./session-state.ts";

/** After the runner's socket is gone, how long it has to reconnect before we ask its sandbox whether it still runs. */
export const RUNNER_EXIT_CHECK_MS = 3_000;

/**
 * The Durable Object was (re)created and finds no runner socket though the session has a
 * sandbox: after a restart of the runtime no socket survives and no close is ever delivered.
 * Schedules the same check a closed socket gets (true when it did; the DO commits and re-arms
 * its alarm). The heartbeat clock restarts too: the restart, not the runner, was silent.
 */
export function noticeMissingRunner(state: SessionState, runnerSocketOpen: boolean, now: number): boolean {
  if (state.status === "ended" || (state.dormant && !wakeUnderWay(state)) || runnerSocketOpen) return false;
  if (state.runnerCheckAt !== null || state.runnerTokenHash === null) return false;
  state.runnerCheckAt = now + RUNNER_EXIT_CHECK_MS;
  if (state.lastHeartbeatAt !== null) state.lastHeartbeatAt = now;
  return true;
}

/**
 * The sandbox has no record of the session's runner: start a new one from the latest checkpoint.
 * Questions and approvals the old agent asked cannot be answered any more (its turn restarts).
 */
export function resumeLostSandbox(state: SessionState): Effect[] {
  if (state.status === "ended") return [];
  // A sleeping session was waking (its sandbox starting, or restoring the archive) when the
  // sandbox went: start the wake again, from the same archive.
  if (state.dormant) return wakeUnderWay(state) ? rewake(state) : [];
  const effects: Effect[] = [];
  for (const pending of [...state.pending]) effects.push(...cancelAsk(state, pending.requestId));
  const from = state.archive ? `the checkpoint of ${state.archive.at}` : "a fresh workspace (no turn had finished yet)";
  const redo = state.inflight ? " The turn that was running starts again." : "";
  const message = `The sandbox was lost (its host restarted); resuming from ${from}.${redo}`;
  effects.push({ kind: "emit", event: { type: "system", payload: { subtype: "sandbox_lost", message } } });
  // From here on it is a sleeping session woken by its work: restore the archive (the last one
  // stored: a checkpoint still uploading went with the sandbox), then configure.
  state.hibernation = null;
  dropUploads(state);
  state.dormant = true;
  state.runnerCheckAt = null;
  state.lastHeartbeatAt = null;
  return [...effects, ...wake(state)];
}

/**
 * Whether a sleeping session is waking: a sandbox was asked for (`waking`) or is restoring the
 * archive (`restoring`). Its sandbox can be lost like an awake one's (issue 14: a restart during a
 * restore left the woken prompt waiting for a restore that would never report, then dropped the
 * conversation on the step's timeout).
 */
export function wakeUnderWay(state: SessionState): boolean {
  const phase = state.hibernation?.phase;
  return state.dormant && (phase === "waking" || phase === "restoring");
}

/** The sandbox of a waking session was lost: wake again (a new sandbox, the same archive, the prompts still queued). */
function rewake(state: SessionState): Effect[] {
  const message = "The sandbox was lost while the session was waking (its host restarted); waking it again from its archive.";
  state.hibernation = null;
  state.runnerCheckAt = null;
  state.lastHeartbeatAt = null;
  return [{ kind: "emit", event: { type: "system", payload: { subtype: "sandbox_lost", message } } }, ...wake(state)];
}
