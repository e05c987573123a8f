-- Whiteboard snapshots: full Yjs states of a session's document at a point in time.
-- AUTOINCREMENT so a deleted snapshot's id is never handed out again: "restore 42" must never
-- silently mean a different snapshot than the one an operator looked at.
CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL,
  created_at INTEGER NOT NULL, -- epoch milliseconds
  reason TEXT NOT NULL CHECK (reason IN ('auto', 'manual', 'session-end', 'pre-restore')),
  created_by TEXT NOT NULL, -- a user id, or 'system' for automatic snapshots
  byte_size INTEGER NOT NULL, -- length of `state`
  label TEXT,
  state BLOB NOT NULL, -- Y.encodeStateAsUpdate of the whole document
  -- sha256 of the Yjs state identity (state vector + delete set), not of `state`: the same
  -- document state can encode to different bytes depending on how its items were split.
  content_hash TEXT NOT NULL
);

CREATE INDEX snapshots_by_session ON snapshots (session_id, id);
