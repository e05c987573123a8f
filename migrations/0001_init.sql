-- Whiteboard documents. `state` is the compacted Yjs state; the update log below holds every
-- update received since that compaction, so state + log replay is always the full document.
CREATE TABLE documents (
  name TEXT PRIMARY KEY,
  state BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Appended synchronously before a client's update is acknowledged: a process crash at any
-- moment loses nothing a client saw acknowledged. Trimmed by compaction.
CREATE TABLE document_updates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  document_name TEXT NOT NULL,
  data BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE INDEX document_updates_by_document ON document_updates (document_name, id);
