-- Organisations: API keys for automation (stored only as SHA-256 hashes, never retrievable),
-- sealed org secrets (`hive://secret/<name>`), and org ownership of sessions.
CREATE TABLE org_api_keys (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  last_used_at TEXT
);
CREATE INDEX org_api_keys_by_org ON org_api_keys (org_id);

CREATE TABLE org_secrets (
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (org_id, name)
);

-- Sessions started through the org API belong to the org (user_id is then `org:<org id>`).
ALTER TABLE sessions ADD COLUMN org_id TEXT;
CREATE INDEX sessions_by_org ON sessions (org_id, created_at DESC, id DESC) WHERE org_id IS NOT NULL;
