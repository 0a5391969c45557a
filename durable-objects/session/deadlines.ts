/**
 * The session's deadlines, computed from its state: a pure function, so the one DO alarm can
 * always be set to the earliest of them and a test can reason about them without a clock.
 */
import type { EndReason } from "../../schemas/events.ts";
import type { SessionTimers } from "../../platform/config.ts";
import type { PendingRequest, SessionState } from "./session-state.ts";
import { wakeUnderWay } from "./sandbox-loss.ts";

/** One thing that happens at `at` (epoch ms) unless the state changes first. */
export type Deadline =
  | { at: number; kind: "purge" }
  | { at: number; kind: "max_duration" }
  | { at: number; kind: "runner_check" }
  | { at: number; kind: "startup_timeout" }
  | { at: number; kind: "heartbeat_stale" }
  | { at: number; kind: "approval_timeout"; pending: PendingRequest }
  | { at: number; kind: "idle_hibernate" }
  | { at: number; kind: "hibernation_timeout" };

/** How long the runner has to archive or restore a workspace before the step is given up. */
export const HIBERNATION_STEP_TIMEOUT_MS = 10 * 60_000;

/** When the session must end: its ttl or the platform maximum, whichever comes first. */
export function endOfLife(state: SessionState, timers: SessionTimers): number {
  const ttl = state.init.settings.ttl_seconds ?? timers.maxSession;
  return Date.parse(state.createdAt) + Math.min(ttl, timers.maxSession) * 1000;
}

/** Every deadline that applies to `state`. */
export function deadlinesOf(state: SessionState, timers: SessionTimers): Deadline[] {
  if (state.status === "ended") return [{ at: Date.parse(state.terminatedAt!) + timers.retention * 1000, kind: "purge" }];
  const list: Deadline[] = [{ at: endOfLife(state, timers), kind: "max_duration" }];
  // A dormant session has no sandbox on purpose: no runner to check on, no heartbeat to expect;
  // unless it is waking, when the sandbox it asked for can be lost (sandbox-loss.ts).
  if (state.runnerCheckAt !== null && (!state.dormant || wakeUnderWay(state))) list.push({ at: state.runnerCheckAt, kind: "runner_check" });
  if (state.status === "starting") list.push({ at: Date.parse(state.createdAt) + timers.startupTimeout * 1000, kind: "startup_timeout" });
  else if (state.lastHeartbeatAt !== null && !state.dormant)
    list.push({ at: state.lastHeartbeatAt + timers.heartbeatStale * 1000, kind: "heartbeat_stale" });
  const step = state.hibernation ?? null;
  if (step) {
    // Waking waits for the new sandbox like a start does; archive and restore get longer.
    const limit = step.phase === "waking" ? timers.startupTimeout * 1000 : HIBERNATION_STEP_TIMEOUT_MS;
    list.push({ at: step.since + limit, kind: "hibernation_timeout" });
  } else if (
    state.status === "running" &&
    !state.dormant &&
    state.inflight === null &&
    state.queue.length === 0 &&
    state.pending.length === 0 &&
    state.runnerCheckAt === null
  ) {
    // Idle: no turn, nothing queued, nothing waiting for an answer, and the runner connected.
    list.push({ at: (state.lastActivityAt ?? Date.parse(state.createdAt)) + timers.idleHibernate * 1000, kind: "idle_hibernate" });
  }
  // Only sessions nobody can answer give up on a question; a person may take their time.
  if (state.init.unattended) {
    for (const pending of state.pending)
      list.push({ at: pending.askedAt + timers.approvalTimeout * 1000, kind: "approval_timeout", pending });
  }
  return list;
}

/** The end a passed deadline means for the session, for the deadlines that end it (null for the others). */
export function deadlineEnd(deadline: Deadline, timers: SessionTimers): { reason: EndReason; detail: string } | null {
  switch (deadline.kind) {
    case "max_duration":
      return { reason: "max_duration_exceeded", detail: "the session reached its maximum duration" };
    case "startup_timeout":
      return { reason: "startup_timeout", detail: `the sandbox did not connect within ${timers.startupTimeout} s` };
    case "heartbeat_stale":
      return { reason: "heartbeat_stale", detail: `no heartbeat from the runner for ${timers.heartbeatStale} s` };
    default:
      return null;
  }
}
