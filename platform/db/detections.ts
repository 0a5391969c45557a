/**
 * Detections reported by rules, per org, newest first; and the sessions rules started (which
 * rule, which detection, which rendered keys).
 */

export interface DetectionRow {
  /** Insertion order: orders detections reported within one millisecond. */
  seq: number;
  id: string;
  cat: string;
  source_rule: string;
  body: string;
  created_at: string;
}

export async function insertDetection(
  db: D1Database,
  orgId: string,
  d: { id: string; cat: string; sourceRule: string; body: string; createdAt: string },
): Promise<void> {
  await db
    .prepare("INSERT INTO org_detections (id, org_id, cat, source_rule, body, created_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(d.id, orgId, d.cat, d.sourceRule, d.body, d.createdAt)
    .run();
}

/** A page of detections, newest first; `before` is the (created_at, seq) of the last one seen. */
export async function listDetections(
  db: D1Database,
  orgId: string,
  q: { cat?: string; since?: string; limit: number; before?: { createdAt: string; seq: number } },
): Promise<DetectionRow[]> {
  const where = ["org_id = ?1"];
  const args: unknown[] = [orgId];
  if (q.cat !== undefined) {
    args.push(q.cat);
    where.push(`cat = ?${args.length}`);
  }
  if (q.since !== undefined) {
    args.push(q.since);
    where.push(`created_at >= ?${args.length}`);
  }
  if (q.before) {
    args.push(q.before.createdAt, q.before.seq);
    where.push(`(created_at < ?${args.length - 1} OR (created_at = ?${args.length - 1} AND rowid < ?${args.length}))`);
  }
  args.push(q.limit);
  const { results } = await db
    .prepare(
      `SELECT rowid AS seq, id, cat, source_rule, body, created_at FROM org_detections WHERE ${where.join(" AND ")} ORDER BY created_at DESC, rowid DESC LIMIT ?${args.length}`,
    )
    .bind(...args)
    .all<DetectionRow>();
  return results;
}

export async function insertRuleSession(
  db: D1Database,
  orgId: string,
  s: {
    sessionId: string;
    ruleName: string;
    detectionId: string | null;
    idempotentKey: string | null;
    debounceKey: string | null;
    createdAt: string;
  },
): Promise<void> {
  await db
    .prepare(
      "INSERT INTO rule_sessions (session_id, org_id, rule_name, detection_id, idempotent_key, debounce_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(s.sessionId, orgId, s.ruleName, s.detectionId, s.idempotentKey, s.debounceKey, s.createdAt)
    .run();
}
