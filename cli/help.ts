/** The help text, generated from the command table so it cannot drift from what the CLI accepts. */
import type { Command } from "./command.ts";
import { DEFAULT_URL } from "./context.ts";

/**
 * The command as the user must type it: `ai-sessions` once `npm link`ed, but `npm run cli --`
 * when started through npm (npm names the running script in `npm_lifecycle_event`).
 */
export const PROGRAM = process.env.npm_lifecycle_event === "cli" ? "npm run cli --" : "ai-sessions";

/** Full help: every command, then the global options. */
export function helpText(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(" ").length));
  const lines = commands.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`);
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    "",
    "Commands:",
    ...lines,
    "",
    "Global options:",
    `  --url URL      platform URL (env AI_SESSIONS_URL, default ${DEFAULT_URL})`,
    "  --token JWT    your token (env AI_SESSIONS_TOKEN); an org API key for the org commands",
    "  --org OID      the org of rules, events and detections (env AI_SESSIONS_ORG)",
    "  --json         machine-readable output: one JSON document (attach: one event per line)",
    "  -h, --help     help for a command",
    "",
    "Exit codes: 0 ok, 1 the operation failed, 2 wrong usage.",
  ].join("\n");
}

/** Help for one command. */
export function commandHelp(command: Command): string {
  return [
    `Usage: ${PROGRAM} ${command.path.join(" ")}${command.args ? ` ${command.args}` : ""}${command.json ? " [--json]" : ""}`,
    "",
    command.summary,
  ].join("\n");
}
