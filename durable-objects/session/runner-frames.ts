/**
 * The runner channel as the session DO reads it: decoding a runner frame, a runner's hello (a
 * new process restarts the event numbering and redoes the prompt in flight), storing pushed agent
 * events exactly once by `rseq`, and the agent process exiting. The frames themselves and the
 * turn-queue contract are in schemas/runner.ts.
 *
 * Pure: functions of the session state and one frame that update the state in place and return
 * what the DO stores or performs.
 */
import type { AgentEventBody } from "../../schemas/events.ts";
import { RunnerToPlatform } from "../../schemas/runner.ts";
import { dropUploads } from "./checkpoint-uploads.ts";
import type { Effect } from "./effects.ts";
import { stampAgentEvent } from "./event-stamps.ts";
import type { SessionState } from "./session-state.ts";
import { dropInflight, requeueInflight } from "./turn-queue.ts";

type Frame<T extends RunnerToPlatform["type"]> = Extract<RunnerToPlatform, { type: T }>;

/** A runner frame checked against its schema, or null for one that is not (it is dropped). */
export function decodeRunnerFrame(message: string | ArrayBuffer): RunnerToPlatform | null {
  try {
    return RunnerToPlatform.parse(JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)));
  } catch {
    return null;
  }
}

/** A runner said hello; returns the runner instance its socket is now tagged with. */
export function greetRunner(state: SessionState, frame: Frame<"hello">, now: Date): string {
  const instance = frame.runner_instance ?? "unknown";
  if (instance !== state.runnerInstance) {
    // A new runner process numbers its events from 1 again.
    state.runnerInstance = instance;
    state.lastRseq = 0;
    requeueInflight(state);
    dropUploads(state); // the old process's unfinished uploads never report
  }
  // Said on every hello: a runner restarted in place may be another version.
  state.runnerSnapshotsOnReceipt = frame.snapshot_on_receipt === true;
  state.runnerCheckAt = null;
  state.startedAt ??= now.toISOString();
  return instance;
}

/**
 * The new events of an `event` or `events` frame, to store in order; replays at or below the last
 * stored `rseq` are skipped. A finished turn (`result`) is counted, and its subtype returned so the
 * DO can check the session's limits once the frame is stored and acknowledged. Each event is
 * stamped with what the session knows (event-stamps.ts).
 */
export function ingestEvents(state: SessionState, items: Frame<"event">[]): { events: AgentEventBody[]; results: string[] } {
  const events: AgentEventBody[] = [];
  const results: string[] = [];
  for (const item of items) {
    if (item.rseq <= state.lastRseq) continue;
    state.lastRseq = item.rseq;
    if (item.event.type === "result") {
      state.usage.turns += item.event.payload.num_turns;
      state.turnsFinished += 1;
      results.push(item.event.payload.subtype);
    }
    events.push(stampAgentEvent(state, item.event));
  }
  return { events, results };
}

/**
 * The agent process exited. With an `error` Claude Code could not run at all and the session
 * fails; otherwise the runner restarts it with the conversation on the next prompt.
 */
export function agentExited(state: SessionState, frame: Frame<"agent_exited">): Effect[] {
  if (frame.error) {
    state.errorMessage = frame.error;
    return [{ kind: "end", reason: "failed", detail: `the agent could not run: ${frame.error}` }];
  }
  const message = `The agent process exited (${frame.signal ?? `code ${frame.code}`}); it restarts with the conversation on the next prompt.`;
  return [{ kind: "emit", event: { type: "system", payload: { subtype: "agent_exited", message } } }, ...dropInflight(state)];
}
