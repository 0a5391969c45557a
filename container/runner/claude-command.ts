// ClaudeCommand: the argv and environment one Claude Code process is started with. Pure.
import { AgentSessionId, type RunnerSettings } from "../../schemas/runner.ts";

/**
 * What the installed CLI accepts, probed once from `claude --help` (`--max-budget-usd` is recent).
 * False only when the CLI said so: a limit is never left out because the probe failed.
 */
export type ClaudeCapabilities = { maxBudgetUsd: boolean };

/** Inputs that are not part of the platform's settings. */
export type ClaudeCommandContext = {
  capabilities: ClaudeCapabilities;
  /** Conversation to continue (`--resume`), if any. */
  resumeId?: string;
  /** Path of the `--mcp-config` file already written for `settings.mcp_servers`, if any. */
  mcpConfigPath?: string;
  /** The runner's environment, already stripped of runner-only variables. */
  baseEnv: Record<string, string>;
  /** True when the process runs as root (Claude Code then needs IS_SANDBOX=1 for bypassPermissions). */
  isRoot: boolean;
  /** The `--settings` JSON carrying the PreToolUse hook that asks the platform (permission-hook.ts). */
  hookSettings: string;
};

/** The full command line and environment of one Claude Code process. */
export type ClaudeCommand = { args: string[]; env: Record<string, string> };

// When the platform sets these, a profile's `environment` must not override them: they point the
// agent at the per-session model gateway, where credentials, usage and budgets are handled.
const PLATFORM_OWNED = ["ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"];

/** Builds argv and env for `claude -p` in stream-json mode with stdio permission prompts. */
export function buildClaudeCommand(settings: RunnerSettings, ctx: ClaudeCommandContext): ClaudeCommand {
  const args = [
    "-p",
    "--input-format",
    "stream-json",
    "--output-format",
    "stream-json",
    "--verbose",
    "--permission-prompt-tool",
    "stdio",
    "--permission-mode",
    settings.permission_mode,
    // Every tool call goes to the platform through the hook; and no settings file the agent can
    // write (/workspace/.claude/settings*.json, ~/.claude/settings.json) is read, so none can add
    // allow rules or hooks, and no `.mcp.json` in the workspace starts a server (issue 9).
    "--settings",
    ctx.hookSettings,
    "--setting-sources",
    "",
    "--strict-mcp-config",
  ];
  // One argv entry per pattern: patterns such as `Bash(npm run:*)` contain spaces.
  if (settings.allowed_tools.length > 0) args.push("--allowedTools", ...settings.allowed_tools);
  if (settings.disallowed_tools.length > 0) args.push("--disallowedTools", ...settings.disallowed_tools);
  if (settings.model) args.push("--model", settings.model);
  if (settings.max_turns !== undefined) args.push("--max-turns", String(settings.max_turns));
  if (settings.max_budget_usd !== undefined && ctx.capabilities.maxBudgetUsd) {
    args.push("--max-budget-usd", String(settings.max_budget_usd));
  }
  if (ctx.mcpConfigPath) args.push("--mcp-config", ctx.mcpConfigPath);
  // Checked again here, next to the argv it would enter: an id that is not one could be an option.
  if (ctx.resumeId && AgentSessionId.safeParse(ctx.resumeId).success) args.push("--resume", ctx.resumeId);

  const env: Record<string, string> = { ...ctx.baseEnv };
  for (const [name, value] of Object.entries(settings.environment)) {
    if (PLATFORM_OWNED.includes(name) && ctx.baseEnv[name] !== undefined) continue;
    env[name] = value;
  }
  env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
  // A second credential would make Claude Code pick it over the gateway token.
  if (env["ANTHROPIC_AUTH_TOKEN"]) delete env["ANTHROPIC_API_KEY"];
  if (ctx.isRoot) env["IS_SANDBOX"] = "1";
  return { args, env };
}

/** The `--mcp-config` file content for the settings' MCP servers, or undefined when there are none. */
export function mcpConfigJson(settings: RunnerSettings): string | undefined {
  if (Object.keys(settings.mcp_servers).length === 0) return undefined;
  return JSON.stringify({ mcpServers: settings.mcp_servers });
}

/**
 * Reads capabilities from `claude --help` output; undefined when the probe failed. (`--max-turns`
 * is hidden from help but long accepted.) Only a help text that is Claude Code's (it lists
 * `--output-format`, which the runner needs anyway) can say a flag is missing; anything else, a
 * failed or empty probe included, says nothing, and the session's limit is passed on: the
 * installed CLI has the flag, and a CLI without it refuses the unknown option and does not start,
 * so the limit holds or the turn does not run.
 */
export function parseCapabilities(helpText: string | undefined): ClaudeCapabilities {
  if (helpText === undefined || !helpText.includes("--output-format")) return { maxBudgetUsd: true };
  return { maxBudgetUsd: helpText.includes("--max-budget-usd") };
}
