-- One row per server process that serves this database file, renewed every `interval_ms`. The
-- offline CLI reads it before working on the file directly: an edit written behind a live
-- server's back is lost when that server compacts its loaded copy over it.
-- A row is live while `heartbeat_at` is younger than 3 × `interval_ms` (the server's own
-- interval, so a CLI with other settings judges it right) and, on the same host, `pid` runs.
CREATE TABLE server_leases (
  instance_id TEXT PRIMARY KEY, -- random per process start
  pid INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  url TEXT NOT NULL, -- where the server listens: http://HOST:PORT (127.0.0.1 when bound to every interface)
  started_at INTEGER NOT NULL, -- epoch milliseconds
  heartbeat_at INTEGER NOT NULL, -- epoch milliseconds
  interval_ms INTEGER NOT NULL
);
