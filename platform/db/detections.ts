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

export interface RuleSessionRow {
  session_id: string;
  rule_name: string;
  detection_id: string | null;
  idempotent_key: string | null;
  debounce_key: string | null;
  created_at: string;
  name: string | null;
  status: "starting" | "running" | "ended";
  end_reason: string | null;
}

/** The sessions rules started, newest first, with each session's state from the session index. */
export async function listRuleSessions(
  db: D1Database,
  orgId: string,
  q: { rule?: string; detectionId?: string; limit: number },
): Promise<RuleSessionRow[]> {
  const where = ["r.org_id = ?1"];
  const args: unknown[] = [orgId];
  if (q.rule !== undefined) {
    args.push(q.rule);
    where.push(`r.rule_name = ?${args.length}`);
  }
  if (q.detectionId !== undefined) {
    args.push(q.detectionId);
    where.push(`r.detection_id = ?${args.length}`);
  }
  args.push(q.limit);
  const { results } = await db
    .prepare(
      `SELECT r.session_id, r.rule_name, r.detection_id, r.idempotent_key, r.debounce_key, r.created_at, s.name, s.status, s.end_reason
       FROM rule_sessions r JOIN sessions s ON s.id = r.session_id
       WHERE ${where.join(" AND ")} ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?${args.length}`,
    )
    .bind(...args)
    .all<RuleSessionRow>();
  return results;
}
