-- One row the readiness probe rewrites: a committed write is the only honest test that the
-- file, its folder and the disk still take writes (a lock probe misses a full or read-only disk).
CREATE TABLE storage_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  probed_at INTEGER NOT NULL
);
