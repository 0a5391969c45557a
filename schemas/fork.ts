/**
 * Forking a session (docs/api.md §4): the preflight that tells whether a dormant or ended session
 * can be forked and which of its MCP servers the chosen profile lacks, and the fork request.
 * The field names are the product's documented `fork-preflight` and `fork` shapes.
 */
import { z } from "zod";
import { Id } from "./common.ts";
import { MAX_PROMPT_CHARS } from "./client-frames.ts";
import { SessionStatus } from "./events.ts";

/** GET /v1/sessions/{id}/fork-preflight query: the profile the fork would use (default: the caller's default profile). */
export const ForkPreflightQuery = z.object({ profile_id: Id.optional() }).strict();

/** GET /v1/sessions/{id}/fork-preflight. */
export const ForkPreflight = z
  .object({
    source_session_id: Id,
    /** `user` for a user's own session, `api` for one an organisation started. */
    source_session_type: z.enum(["user", "api"]),
    source_status: SessionStatus,
    source_name: z.string().nullable(),
    /** How many days an ended session (and its archive) is kept: the window a fork must fall in. */
    source_lifetime_days: z.number(),
    default_fork_name: z.string(),
    /** Names of the MCP servers the source session ran with. */
    source_mcp_servers: z.array(z.string()),
    /** Those of the source's MCP servers the chosen profile does not have: to acknowledge when forking. */
    missing_mcps: z.array(z.string()),
    is_forkable: z.boolean(),
    /** Why not, when `is_forkable` is false; empty when it is true. */
    is_forkable_reason: z.string(),
    /** Whether the source's conversation comes along (an archived Claude Code transcript exists). */
    history_available: z.boolean(),
  })
  .meta({ id: "ForkPreflight" });
export type ForkPreflight = z.infer<typeof ForkPreflight>;

/** POST /v1/sessions/{id}/fork: every field optional. The answer is the new session, `{session}` with status 201. */
export const ForkRequest = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    profile_id: Id.optional(),
    initial_prompt: z.string().trim().min(1).max(MAX_PROMPT_CHARS).optional(),
    /** The `missing_mcps` of the preflight, acknowledged: the fork runs without those servers. */
    acknowledge_missing_tools: z.array(z.string().max(200)).max(100).optional(),
  })
  .strict()
  .meta({ id: "ForkRequest" });
export type ForkRequest = z.infer<typeof ForkRequest>;

/** A fork's name when none is given. */
export function defaultForkName(sourceName: string | null, sourceId: string): string {
  return `Fork of ${sourceName ?? sourceId}`.slice(0, 200);
}
