-- Detection & response rules (spec DR.md §8): an org's rules with their enabled flag and a
-- version that changes on every write (the engine caches compiled rules by it), the
-- detections their `report` actions produced, and which rule/detection started a session.
CREATE TABLE org_rules (
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  namespace TEXT NOT NULL DEFAULT 'general',
  body TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (org_id, name)
);

CREATE TABLE org_detections (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  cat TEXT NOT NULL,
  source_rule TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX org_detections_by_org ON org_detections (org_id, created_at DESC);
CREATE INDEX org_detections_by_cat ON org_detections (org_id, cat, created_at DESC);

-- Sessions started by a rule's `start ai agent` action: the rule, its detection and the
-- rendered keys, next to the session row (sessions stay owned by `org:<oid>`).
CREATE TABLE rule_sessions (
  session_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  rule_name TEXT NOT NULL,
  detection_id TEXT,
  idempotent_key TEXT,
  debounce_key TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX rule_sessions_by_org ON rule_sessions (org_id, created_at DESC);
