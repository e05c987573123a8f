-- Whiteboard snapshots: full Yjs states of a session's document at a point in time (see
-- migrations/0002_snapshots.sql for SQLite). An identity column never hands a deleted
-- snapshot's id out again: "restore 42" must never silently mean another snapshot.
CREATE TABLE snapshots (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id TEXT NOT NULL,
  created_at BIGINT NOT NULL, -- epoch milliseconds
  reason TEXT NOT NULL CHECK (reason IN ('auto', 'manual', 'session-end', 'pre-restore')),
  created_by TEXT NOT NULL, -- a user id, or 'system' for automatic snapshots
  byte_size INTEGER NOT NULL, -- length of `state`
  label TEXT,
  state BYTEA NOT NULL, -- Y.encodeStateAsUpdate of the whole document
  -- sha256 of the Yjs state identity (state vector + delete set), not of `state`.
  content_hash TEXT NOT NULL
);

CREATE INDEX snapshots_by_session ON snapshots (session_id, id);
