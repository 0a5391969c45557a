-- Accounts: users, their Claude credential, OAuth flows in progress, and profiles.
-- Secrets (credentials, OAuth verifiers, profile environment/MCP config) are stored only
-- as AES-256-GCM ciphertexts with the id of the key that sealed them (worker/crypto).

CREATE TABLE users (
  id TEXT PRIMARY KEY,                 -- the JWT's sub
  email TEXT,                          -- the JWT's email claim at registration
  registered_at TEXT NOT NULL
);

CREATE TABLE claude_credentials (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  credential_type TEXT NOT NULL CHECK (credential_type IN ('api_key', 'oauth_token')),
  ciphertext TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE oauth_flows (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  state TEXT NOT NULL,
  verifier_ciphertext TEXT NOT NULL,   -- the PKCE code verifier
  key_id TEXT NOT NULL,
  authorize_url TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('url_ready', 'completed')),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX oauth_flows_by_user ON oauth_flows(user_id);

CREATE TABLE profiles (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  settings TEXT NOT NULL,              -- JSON: every non-secret setting
  secrets_ciphertext TEXT NOT NULL,    -- sealed JSON: {environment, mcp_servers}
  key_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (user_id, name)
);
-- At most one default profile per user, enforced by the database itself.
CREATE UNIQUE INDEX profiles_one_default ON profiles(user_id) WHERE is_default = 1;
