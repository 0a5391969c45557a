// A session state for the pure session modules' tests: a fresh session of default settings,
// with whatever the test changes.
import type { ProfileSettings } from "../../../schemas/profile.ts";
import { initialState, type SessionState } from "../../../durable-objects/session/session-state.ts";

/** The settings of a profile created without any (as platform/db/profiles.ts DEFAULT_SETTINGS). */
const SETTINGS: ProfileSettings = {
  description: "",
  allowed_tools: [],
  denied_tools: [],
  permission_mode: "acceptEdits",
  model: null,
  max_turns: null,
  max_budget_usd: null,
  one_shot: false,
  ttl_seconds: null,
  environment: {},
  mcp_servers: {},
};

/** A running session created at `now`, changed by `change` and with settings overridden by `settings`. */
export function sessionState(
  change: Partial<SessionState> = {},
  settings: Partial<ProfileSettings> = {},
  now = new Date("2026-01-01T00:00:00Z"),
): SessionState {
  const state = initialState(
    {
      id: "s_test",
      userId: "user-1",
      orgId: null,
      credential: { kind: "user" },
      name: null,
      profileId: null,
      settings: { ...SETTINGS, ...settings },
      initialPrompt: null,
      idempotentKey: null,
      platformUrl: "http://platform.test",
      unattended: false,
    },
    now,
  );
  return { ...state, status: "running", ...change };
}
