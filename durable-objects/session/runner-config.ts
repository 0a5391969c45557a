/**
 * What a session's sandbox is given: its environment at start (no Anthropic credential, only
 * its own tokens and where the platform is) and the settings its runner starts Claude Code with.
 */
import type { RunnerSettings } from "../../schemas/runner.ts";
import type { SessionInit } from "../../platform/contracts/session.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { resolveSecretReferences } from "../../platform/db/org-secrets.ts";
import type { Env } from "../../platform/env.ts";
import { openSessionSettings } from "../../platform/secrets/profile-secrets.ts";
import type { SessionState } from "./session-state.ts";

/** Interval the runner is told to send heartbeats at. */
export const RUNNER_HEARTBEAT_INTERVAL_MS = 10_000;

/** The whole environment of the sandbox. */
export function sandboxEnvironment(init: SessionInit, tokens: { runner: string; gateway: string }): Record<string, string> {
  return {
    SESSION_ID: init.id,
    PLATFORM_URL: init.platformUrl,
    RUNNER_TOKEN: tokens.runner,
    // For the runner only: its loopback proxy (container/runner/gateway-proxy.ts) adds the
    // token to Claude Code's calls to the per-session model gateway, which holds the real
    // credential. Claude Code itself is pointed at the proxy and never holds the token.
    GATEWAY_URL: `${init.platformUrl}/v1/gateway/sessions/${init.id}`,
    GATEWAY_TOKEN: tokens.gateway,
    HEARTBEAT_INTERVAL_MS: String(RUNNER_HEARTBEAT_INTERVAL_MS),
  };
}

/** The runner's settings for a session, given its resolved environment and the conversation to resume. */
export function runnerSettingsFor(
  init: SessionInit,
  environment: Record<string, string>,
  resumeAgentSessionId: string | null,
): RunnerSettings {
  const { settings } = init;
  return {
    // The platform decides every call itself (docs/api.md §6 grammar), so Claude Code asks it for
    // all of them; `plan` keeps Claude Code's own read-only planning behaviour as well.
    permission_mode: settings.permission_mode === "plan" ? "plan" : "default",
    allowed_tools: [],
    // Denials are also given to Claude Code, so tools it would run without asking are blocked too.
    disallowed_tools: settings.denied_tools,
    ...(settings.model ? { model: settings.model } : {}),
    ...(settings.max_turns ? { max_turns: settings.max_turns } : {}),
    ...(settings.max_budget_usd ? { max_budget_usd: settings.max_budget_usd } : {}),
    environment,
    mcp_servers: settings.mcp_servers,
    ...(resumeAgentSessionId ? { resume_agent_session_id: resumeAgentSessionId } : {}),
  };
}

/**
 * The settings the runner starts Claude Code with now; the session's sealed secrets are opened
 * and org secret references in the environment resolved here, at the last moment, never stored.
 * `missing` names the references no secret answered.
 */
export async function resolveRunnerSettings(env: Env, state: SessionState): Promise<{ settings: RunnerSettings; missing: string[] }> {
  const { orgId } = state.init;
  const ring = await keyringFrom(env);
  const settings = await openSessionSettings(ring, state.init.id, state.init);
  let environment = settings.environment;
  let missing: string[] = [];
  if (orgId) ({ resolved: environment, missing } = await resolveSecretReferences(env.DB, ring, orgId, environment));
  return { settings: runnerSettingsFor({ ...state.init, settings }, environment, state.agentSessionId), missing };
}
