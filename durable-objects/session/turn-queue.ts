/**
 * The turn queue: prompts accepted from clients wait here until the agent is free, and exactly
 * one at a time is handed to the runner (`inflight`) until the runner reports the turn over.
 * The queue lives in the session DO, not in the runner; the contract between the two is written
 * once, on the frames in schemas/runner.ts (see "The turn queue" there).
 *
 * Pure: each function takes the session state and one input, updates the state in place and
 * returns the effects (effects.ts) the DO performs.
 */
import type { PlatformToRunner } from "../../schemas/runner.ts";
import type { Effect } from "./effects.ts";
import type { SessionState } from "./session-state.ts";

/** Prompts one session accepts per minute (docs/api.md §9). */
export const PROMPTS_PER_MINUTE = 60;
/** The window of the per-session prompt rate. */
const PROMPT_WINDOW_MS = 60_000;

/**
 * Counts a prompt against the per-session rate; when the minute's budget is spent, nothing is
 * counted and the answer says in how many seconds to retry.
 */
export function admitPrompt(state: SessionState, now: number): { ok: true } | { ok: false; retryInSeconds: number } {
  state.promptTimes = state.promptTimes.filter((t) => t > now - PROMPT_WINDOW_MS);
  if (state.promptTimes.length >= PROMPTS_PER_MINUTE) {
    return { ok: false, retryInSeconds: Math.ceil((state.promptTimes[0]! + PROMPT_WINDOW_MS - now) / 1000) };
  }
  state.promptTimes.push(now);
  return { ok: true };
}

/** The queue notice when a turn runs, others wait or the runner is away. */
export const QUEUED_BEHIND_WORK = "Message queued: it runs when the agent is free.";
/** The queue notice when the session sleeps: the agent is idle, its sandbox is being started again. */
export const QUEUED_WHILE_ASLEEP = "Message queued: the session is waking up; it runs once its workspace is restored.";

/**
 * Stores a prompt as a `user` event and queues it for the agent. When it cannot run at once
 * (a turn runs, others wait, or no runner is connected) clients are told it is queued; not while
 * the session is still starting, where waiting for the sandbox is expected.
 */
export function enqueuePrompt(state: SessionState, prompt: { id: string; text: string }, runnerConnected: boolean): Effect[] {
  const effects: Effect[] = [{ kind: "emit", event: { type: "user", payload: { content: prompt.text } } }];
  const busy = state.inflight !== null || state.queue.length > 0 || !runnerConnected;
  state.queue.push({ id: prompt.id, text: prompt.text });
  if (busy && state.status !== "starting") {
    effects.push({
      kind: "emit",
      event: {
        type: "system",
        payload: {
          subtype: "message_queued",
          message: state.dormant ? QUEUED_WHILE_ASLEEP : QUEUED_BEHIND_WORK,
          queue_length: state.queue.length,
        },
      },
    });
  }
  return effects;
}

/**
 * Whether the next prompt may go out as far as the queue is concerned: a prompt waits, no turn
 * runs and no tool call or question waits for a client. (The DO also needs a runner that said
 * hello, and a session that is not asleep.)
 */
export function mayDispatch(state: SessionState | null): state is SessionState {
  return state !== null && state.status !== "ended" && state.inflight === null && state.queue.length > 0 && state.pending.length === 0;
}

/** Hands the next queued prompt to the runner; call only when `mayDispatch` and a runner is ready. */
export function dispatchNext(state: SessionState): Effect[] {
  const next = state.queue.shift()!;
  state.inflight = next;
  state.inflightStarted = false;
  return [
    { kind: "runner", frame: { type: "prompt", prompt_id: next.id, text: next.text } },
    { kind: "ui", change: { uiState: "Running" } },
  ];
}

/**
 * A runner process we have not heard from before said hello: the prompt the old one was working
 * on goes back to the head of the queue, to be sent again.
 */
export function requeueInflight(state: SessionState): void {
  if (state.inflight) {
    state.queue.unshift(state.inflight);
    state.inflight = null;
  }
}

/** The prompt a reconnecting runner (same process) must redo: the one still in flight, if any. */
export function redelivery(state: SessionState): Extract<PlatformToRunner, { type: "prompt" }> | null {
  return state.inflight ? { type: "prompt", prompt_id: state.inflight.id, text: state.inflight.text } : null;
}

/** A client asked to stop the running turn: only meaningful while one runs. */
export function interruptTurn(state: SessionState): Effect[] {
  return state.inflight ? [{ kind: "runner", frame: { type: "interrupt" } }] : [];
}

/** The runner's `turn_state`: a turn started, or the agent is idle and the next prompt may go. */
export function onTurnState(state: SessionState, turn: "running" | "idle"): Effect[] {
  if (turn === "running") {
    if (state.inflight && !state.inflightStarted) state.inflightStarted = true;
    return [{ kind: "ui", change: { uiState: "Running" } }];
  }
  // A runner reports its state when it (re)connects; an idle sent before it picked up the prompt
  // we just delivered says nothing about that prompt.
  if (state.inflight && !state.inflightStarted) return [];
  const finished = state.inflight !== null;
  state.inflight = null;
  if (state.init.settings.one_shot && state.turnsFinished > 0 && state.queue.length === 0) {
    return [{ kind: "end", reason: "completed", detail: "one_shot: the task is done" }];
  }
  return [
    { kind: "ui", change: { uiState: state.queue.length ? "Running" : "Waiting" } },
    // A finished turn is checkpointed before the next prompt goes out (hibernation.ts `checkpoint`).
    ...(finished ? [{ kind: "checkpoint" } as const] : []),
    { kind: "pump" },
    { kind: "alarm" }, // the idle (hibernation) clock starts now
  ];
}

/** The agent process died: its turn is over (the runner restarts it with the next prompt). */
export function dropInflight(state: SessionState): Effect[] {
  if (!state.inflight) return [];
  state.inflight = null;
  return [{ kind: "ui", change: { uiState: "Waiting" } }];
}
