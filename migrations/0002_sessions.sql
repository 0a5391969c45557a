-- The session index: what GET /v1/sessions lists and filters. The session's Durable Object is
-- the source of truth and mirrors these fields here whenever they change.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL CHECK (status IN ('starting', 'running', 'ended')),
  ui_state TEXT NOT NULL DEFAULT 'Running',
  needs_attention INTEGER NOT NULL DEFAULT 0,
  dormant INTEGER NOT NULL DEFAULT 0,
  profile_id TEXT,
  idempotent_key TEXT,
  created_at TEXT NOT NULL,
  terminated_at TEXT,
  end_reason TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC, id DESC);
CREATE INDEX sessions_by_idempotent_key ON sessions (user_id, idempotent_key) WHERE idempotent_key IS NOT NULL;
