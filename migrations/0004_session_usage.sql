-- Usage mirrored into the session index, so an org's usage is one query (GET /v1/org/usage):
-- which org key started a session, when it started, and the tokens and cost it used.
ALTER TABLE sessions ADD COLUMN created_by_key TEXT;
ALTER TABLE sessions ADD COLUMN started_at TEXT;
ALTER TABLE sessions ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
