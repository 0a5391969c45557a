-- Org usage per identity and hour (GET /v1/org/usage/identities/{identity}, what the product's
-- `limacharlie ai usage` reads). Every metered model call of an org session adds to the bucket of
-- its identity: the name of the org key that started the session, else the session's owner.
-- Kept when sessions are purged: it is the org's usage record.
CREATE TABLE org_usage_hourly (
  org_id TEXT NOT NULL,
  identity TEXT NOT NULL,
  -- The hour's start, ISO-8601 UTC (2026-12-03T10:00:00.000Z).
  hour TEXT NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, identity, hour)
);
