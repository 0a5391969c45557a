-- Single-use WebSocket tickets (POST /v1/ws-ticket): stored as SHA-256 hashes; a redeemed or
-- expired ticket is deleted. `token_expires_at` is when the bearer token that asked for the
-- ticket expires: a socket opened with the ticket is closed then, as if opened with the token.
CREATE TABLE ws_tickets (
  ticket_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  email TEXT,
  session_id TEXT,
  expires_at INTEGER NOT NULL,
  token_expires_at INTEGER
);
CREATE INDEX ws_tickets_by_expiry ON ws_tickets (expires_at);
