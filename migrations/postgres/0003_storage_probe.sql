-- One row the readiness probe rewrites: a committed write is the honest test that the database
-- takes writes now (reachable, not read-only, not out of space, not in recovery).
CREATE TABLE storage_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  probed_at BIGINT NOT NULL
);
