-- Whiteboard documents on PostgreSQL, shared by every instance of a cluster. `state` is the
-- compacted Yjs state; the update log below holds every update received since, so state + log
-- replay is always the full document. Timestamps are epoch milliseconds, as on SQLite.
CREATE TABLE documents (
  name TEXT PRIMARY KEY,
  state BYTEA NOT NULL,
  -- Drawn from one sequence on every write, so a value is never seen twice (not even after a
  -- row is deleted and written again): an instance compares it with the version it wrote to
  -- know whether another instance has compacted since.
  version BIGINT NOT NULL,
  written_by TEXT NOT NULL, -- instance id of the last compaction, for operators
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE SEQUENCE document_state_versions;

-- Committed before a client's update is acknowledged; trimmed by compaction. `instance_id` is
-- the instance that received the update from its client (each update is logged once in the
-- cluster). Ids come from one identity sequence: unique, but several instances commit
-- concurrently, so a lower id can become visible after a higher one.
CREATE TABLE document_updates (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_name TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  data BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE INDEX document_updates_by_document ON document_updates (document_name, id);
