-- What the product's clients and documentation read in list rows (GET /v1/sessions and the
-- org list), besides the record: the session's tool lists and region, written when it is
-- created, and the runner's exit code, mirrored by the session's Durable Object.
ALTER TABLE sessions ADD COLUMN allowed_tools TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN denied_tools TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN region TEXT;
ALTER TABLE sessions ADD COLUMN exit_code INTEGER;
