/**
 * What the session's pure modules (turn-queue.ts, pending-asks.ts, lifecycle.ts, hibernation.ts...) ask the Durable
 * Object to do. Each of them takes the session state and one input, updates the state in place
 * (the DO commits it right after) and returns a list of these effects; the DO performs them in
 * order. The modules never touch a socket, the clock or storage, so Node tests drive them alone.
 */
import type { EndReason, StoredEventBody } from "../../schemas/events.ts";
import type { PlatformToRunner } from "../../schemas/runner.ts";
import type { SessionState } from "./session-state.ts";

/** A change clients notice in the session's status line (applied by lifecycle.ts `applyUi`). */
export type UiChange = { status?: "running"; uiState?: SessionState["uiState"]; needsAttention?: boolean };

export type Effect =
  /** Append an event to the log and broadcast it to every client. */
  | { kind: "emit"; event: StoredEventBody }
  /** Send a frame to the runner, if one is connected. */
  | { kind: "runner"; frame: PlatformToRunner }
  /** Apply a UI-visible change (lifecycle.ts `applyUi`), announcing it when something changed. */
  | { kind: "ui"; change: UiChange }
  /** Send the next queued prompt if the agent is free (turn-queue.ts `dispatchNext`). */
  | { kind: "pump" }
  /** Set the one alarm to the earliest deadline again. */
  | { kind: "alarm" }
  /** End the session. */
  | { kind: "end"; reason: EndReason; detail: string | null }
  /** Announce `session_status` and mirror the index (the dormant flag changed: hibernation.ts). */
  | { kind: "status" }
  /** Mint fresh tokens and start the sandbox again (waking from hibernation). */
  | { kind: "start_sandbox" }
  /** Send the connected runner `configure` and what follows it (after a restore). */
  | { kind: "configure" }
  /** A turn ended: archive the workspace and the conversation, staying awake (hibernation.ts `checkpoint`). */
  | { kind: "checkpoint" }
  /** Hibernating: send the runner away and stop the sandbox (the archive holds the workspace). */
  | { kind: "sleep" };
