/**
 * What the session adds to an agent event as it stores it, so every client reads one truth:
 *
 * - a turn's `result` carries the session's cost as the platform metered it (the record's
 *   `usage.cost_usd`), not only Claude Code's own per-process estimate, which prices models by
 *   its own table and restarts at every resume (issue 14: $0.2773 in one client, $0.3466 in
 *   another for the same session);
 * - Claude Code's `init` carries the session's effective permission mode: Claude Code itself
 *   always runs in `default` (or `plan`) because the platform decides every call
 *   (runner-config.ts), so its own `permissionMode` would misstate a `bypassPermissions` session;
 * - both say whether the model is simulated (the offline demo), so clients label it.
 *
 * Pure: a function of the state and one event.
 */
import type { AgentEventBody } from "../../schemas/events.ts";
import type { SessionState } from "./session-state.ts";

/** The event as the session stores it. */
export function stampAgentEvent(state: SessionState, event: AgentEventBody): AgentEventBody {
  const simulated = state.usage.simulated ?? false;
  if (event.type === "result") {
    return { ...event, payload: { ...event.payload, session_cost_usd: state.usage.cost_usd, cost_simulated: simulated } };
  }
  if (event.type === "system" && event.payload.subtype === "init") {
    const agentMode = event.payload["permission_mode"];
    return {
      ...event,
      payload: {
        ...event.payload,
        permission_mode: state.init.settings.permission_mode,
        // What Claude Code itself ran with, kept for debugging (the platform decides every call).
        ...(typeof agentMode === "string" ? { agent_permission_mode: agentMode } : {}),
        model_simulated: simulated,
      },
    };
  }
  return event;
}
