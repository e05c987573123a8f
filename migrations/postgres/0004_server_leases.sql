-- One row per server process on this database, renewed every `interval_ms` (see
-- migrations/0004_server_leases.sql for SQLite). On PostgreSQL several live rows are normal (a
-- cluster); the offline CLI and the admin API read them to find the live instances.
CREATE TABLE server_leases (
  instance_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  url TEXT NOT NULL, -- where the server listens, as seen from its own host
  started_at BIGINT NOT NULL, -- epoch milliseconds
  heartbeat_at BIGINT NOT NULL, -- epoch milliseconds
  interval_ms INTEGER NOT NULL
);
