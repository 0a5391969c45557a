/**
 * The org_usage_hourly table: each org's model usage per identity and hour, added to by the model
 * gateway after every metered call of an org session. An identity is the name of the org key
 * that started the session (what the product's `ai usage --identity my-api-key` names), or the
 * session's owner when no key did.
 */
import type { UsageIdentity, UsagePoint } from "../../schemas/org.ts";
import type { ModelUsage } from "../contracts/session.ts";

/** The start of `at`'s hour, as stored. */
export function hourOf(at: Date): string {
  const hour = new Date(at);
  hour.setUTCMinutes(0, 0, 0);
  return hour.toISOString();
}

/**
 * Adds one metered call of session `sessionId` to its identity's bucket for the hour of `at`;
 * nothing for a session that belongs to no org. One statement: concurrent calls add up exactly.
 */
export async function addOrgUsage(db: D1Database, sessionId: string, usage: ModelUsage, at: Date): Promise<void> {
  await db
    .prepare(
      `INSERT INTO org_usage_hourly (org_id, identity, hour, requests, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, cost_usd)
       SELECT s.org_id, COALESCE(k.name, s.user_id), ?2, 1, ?3, ?4, ?5, ?6, ?7
       FROM sessions s LEFT JOIN org_api_keys k ON k.id = s.created_by_key
       WHERE s.id = ?1 AND s.org_id IS NOT NULL
       ON CONFLICT (org_id, identity, hour) DO UPDATE SET
         requests = requests + 1,
         input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens,
         cache_creation_input_tokens = cache_creation_input_tokens + excluded.cache_creation_input_tokens,
         cache_read_input_tokens = cache_read_input_tokens + excluded.cache_read_input_tokens,
         cost_usd = cost_usd + excluded.cost_usd`,
    )
    .bind(
      sessionId,
      hourOf(at),
      usage.input_tokens,
      usage.output_tokens,
      usage.cache_creation_input_tokens,
      usage.cache_read_input_tokens,
      usage.cost_usd,
    )
    .run();
}

/** The identities with usage in `orgId`, sorted. */
export async function usageIdentities(db: D1Database, orgId: string): Promise<UsageIdentity[]> {
  const { results } = await db
    .prepare("SELECT DISTINCT identity FROM org_usage_hourly WHERE org_id = ? ORDER BY identity")
    .bind(orgId)
    .all<{ identity: string }>();
  return results.map((row) => row.identity);
}

/** `identity`'s hourly usage in `orgId`, oldest hour first, within [since, until) when given. */
export async function identityUsage(
  db: D1Database,
  orgId: string,
  identity: string,
  since: string | null,
  until: string | null,
): Promise<UsagePoint[]> {
  const { results } = await db
    .prepare(
      `SELECT hour, requests, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, cost_usd
       FROM org_usage_hourly WHERE org_id = ?1 AND identity = ?2 AND (?3 IS NULL OR hour >= ?3) AND (?4 IS NULL OR hour < ?4)
       ORDER BY hour`,
    )
    .bind(orgId, identity, since, until)
    .all<UsagePoint>();
  return results.map((row) => ({ ...row, cost_usd: Math.round(row.cost_usd * 1e6) / 1e6 }));
}
