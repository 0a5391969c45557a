/** The shapes the permission engine works on (docs/api.md §6). */
import type { PermissionMode } from "../../../schemas/permissions.ts";

export type { PermissionMode };

/**
 * A tool call Claude Code asks permission for: `mcp__<server>__<tool>` names for MCP tools.
 * `resolvedPaths`: where the input's path fields really lead (symbolic links followed), for the
 * fields where that differs, as the runner measured it; "" when it could not tell.
 */
export type ToolCall = { toolName: string; input: Record<string, unknown>; resolvedPaths?: Readonly<Record<string, string>> };

/**
 * A session's effective permission settings. `workspace` is the workspace's absolute path as the
 * agent sees it (`/workspace` unless given: the local backend gives each session its own directory).
 */
export type PermissionPolicy = { allowed: readonly string[]; denied: readonly string[]; mode: PermissionMode; workspace?: string };

/** The verdict on one call, with a reason meant for people (logs, the approval prompt). */
export type PermissionDecision = { decision: "allow" | "deny" | "ask"; reason: string };
