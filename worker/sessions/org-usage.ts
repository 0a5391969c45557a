/** An org's usage (docs/api.md §8): runtime minutes, tokens and cost per session, per API key, and in total. */
import type { OrgUsage } from "../../schemas/org.ts";

interface UsageRow {
  id: string;
  name: string | null;
  status: string;
  created_by_key: string | null;
  created_at: string;
  started_at: string | null;
  terminated_at: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

type Figures = OrgUsage["totals"];

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Minutes a session has run: from start to its end, or to now while it lives. */
function runtimeMinutes(row: UsageRow, now: number): number {
  if (!row.started_at) return 0;
  const end = row.terminated_at ? Date.parse(row.terminated_at) : now;
  return Math.max(0, (end - Date.parse(row.started_at)) / 60_000);
}

function add(into: Figures, row: UsageRow, minutes: number): void {
  into.sessions += 1;
  into.runtime_minutes += minutes;
  into.input_tokens += row.input_tokens;
  into.output_tokens += row.output_tokens;
  into.cost_usd += row.cost_usd;
}

const zero = (): Figures => ({ sessions: 0, runtime_minutes: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 });
const rounded = (f: Figures): Figures => ({ ...f, runtime_minutes: round(f.runtime_minutes, 2), cost_usd: round(f.cost_usd, 6) });

/** The org's usage for sessions created in [since, until). */
export async function orgUsage(
  db: D1Database,
  ownerId: string,
  since: string | null,
  until: string | null,
  now = Date.now(),
): Promise<OrgUsage> {
  const { results } = await db
    .prepare(
      `SELECT id, name, status, created_by_key, created_at, started_at, terminated_at, input_tokens, output_tokens, cost_usd
       FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) ORDER BY created_at`,
    )
    .bind(ownerId, since, until)
    .all<UsageRow>();
  const totals = zero();
  const byKey = new Map<string | null, Figures>();
  const sessions = results.map((row) => {
    const minutes = runtimeMinutes(row, now);
    add(totals, row, minutes);
    const key = byKey.get(row.created_by_key) ?? zero();
    add(key, row, minutes);
    byKey.set(row.created_by_key, key);
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      key_id: row.created_by_key,
      created_at: row.created_at,
      runtime_minutes: round(minutes, 2),
      input_tokens: row.input_tokens,
      output_tokens: row.output_tokens,
      cost_usd: round(row.cost_usd, 6),
    };
  });
  return {
    since,
    until,
    sessions,
    keys: [...byKey].map(([keyId, figures]) => ({ key_id: keyId, ...rounded(figures) })),
    totals: rounded(totals),
  };
}
