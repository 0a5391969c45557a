-- Org API key lifecycle: a key can be revoked or given an expiry by the operator; a revoked or
-- expired key is refused on every request. `last_used_at` (from 0003) is now recorded.
ALTER TABLE org_api_keys ADD COLUMN revoked_at TEXT;
ALTER TABLE org_api_keys ADD COLUMN expires_at TEXT;

-- Org secrets reach a sandbox's environment only when granted to sessions when written
-- (`expose_to_sessions`); others (an Anthropic key for the gateway) are never resolved there.
ALTER TABLE org_secrets ADD COLUMN expose_to_sessions INTEGER NOT NULL DEFAULT 0;
