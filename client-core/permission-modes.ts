/**
 * Permission modes as people read them: one readable name and one sentence per mode, shared by
 * the web UI and the CLI so a session's mode reads the same everywhere (issue 14 found raw ids
 * in one place, a profile's unrelated description in another). The ids themselves are the wire
 * schema's (schemas/permissions.ts); an id this table does not know is shown as it is.
 */

/** Each mode's readable name and what it means for the user. */
export const PERMISSION_MODE_TEXT: Readonly<Record<string, { name: string; description: string }>> = {
  acceptEdits: { name: "Accept edits", description: "file edits run without asking; other tools ask you unless allowed" },
  plan: { name: "Plan", description: "read-only: the agent plans and changes nothing" },
  bypassPermissions: { name: "Bypass permissions", description: "every tool runs without asking; denied tools still apply" },
  // Claude Code's own mode, which the platform runs it in (it decides every call itself); shown
  // only for events stored before the session stamped its effective mode on them.
  default: { name: "Ask for everything", description: "every tool not allowed asks you" },
};

/** The readable name of a mode ("Bypass permissions"), or the id itself when unknown. */
export function permissionModeName(mode: string): string {
  return PERMISSION_MODE_TEXT[mode]?.name ?? mode;
}

/** What a mode means, one sentence (empty when unknown). */
export function permissionModeDescription(mode: string): string {
  return PERMISSION_MODE_TEXT[mode]?.description ?? "";
}
