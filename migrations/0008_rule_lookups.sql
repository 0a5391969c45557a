-- Lookups of D&R rules (DR.md §8, the `lookup` operator): per org, a name → a map of key →
-- metadata, stored as JSON and read whole when a rule that names it is evaluated.
CREATE TABLE org_lookups (
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (org_id, name)
);
