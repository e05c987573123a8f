/**
 * The storage seam: what the server needs from a database, whichever engine holds it.
 * `SqliteStore` (one file, one process, the embedded default) and `PostgresStore` (shared by
 * every instance of a cluster) implement it; nothing above `src/storage/` names an engine.
 *
 * Every method is async so that a networked engine fits; a promise that resolves means the
 * write is committed. A promise that rejects means nothing of that call is committed.
 */
import type { LeaseHolder } from './ServerLease.ts';
import type { NewSnapshot, SnapshotMeta, Snapshot } from './SnapshotStore.ts';

export interface StoredDocument {
  /** The compacted state, or null before the first compaction. */
  state: Uint8Array | null;
  /** Updates appended since that compaction, oldest first. */
  updates: Uint8Array[];
}

export type StoreEngine = 'sqlite' | 'postgres';

/** What `probe()` found wrong, with the engine's or the system's error code when there is one. */
export class StorageProbeError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'StorageProbeError';
    this.code = code;
  }
}

export interface Store {
  readonly engine: StoreEngine;
  /** Where the data lives, for logs and errors: a file path, or a URL without its password. */
  readonly location: string;
  readonly isOpen: boolean;

  /** Connects and applies pending migrations; the server awaits it before it listens. Idempotent. */
  open(): Promise<void>;
  /** Reads a document's compacted state and its update log. */
  load(name: string): Promise<StoredDocument>;
  /**
   * Appends one update to the document's log; committed when the promise resolves. Returns the
   * row's log id. Concurrent calls may be grouped into one commit.
   */
  append(name: string, update: Uint8Array): Promise<number>;
  /**
   * Stores `state` as the document's compacted state and trims the log rows it covers, in one
   * transaction. The caller promises that `state` contains every row it appended itself up to
   * `upTo` (by default every row it appended). Rows the caller did not append (another instance's)
   * and the stored state are merged in, never dropped: the stored state only ever grows.
   */
  compact(name: string, state: Uint8Array, upTo?: number): Promise<void>;
  /** How much of a document lives only in the log (not yet compacted). */
  pending(name: string): Promise<{ updates: number; bytes: number }>;
  /** Whether a document has a stored state or log rows. */
  exists(name: string): Promise<boolean>;
  /** Forgets per-document bookkeeping once a document is unloaded. */
  release(name: string): void;
  /**
   * Rejects with a StorageProbeError unless the store takes a committed write now (and, for a
   * file, the disk keeps its minimum free space).
   */
  probe(): Promise<void>;
  /** Closes connections (and checkpoints a file). Idempotent. */
  close(): Promise<void>;

  readonly snapshots: SnapshotRows;
  /**
   * Commits a `pre-restore` snapshot (or reuses an identical one, as `snapshots.create` does) and
   * the restore's edit to the document's log, in one transaction. `logId` is the edit's log row.
   */
  commitRestore(snapshot: NewSnapshot, edit: Uint8Array | undefined): Promise<{ snapshot: SnapshotMeta; created: boolean; logId?: number }>;

  readonly leases: LeaseRows;
}

/** Snapshot rows; see SnapshotStore for the dedupe rules every engine keeps. */
export interface SnapshotRows {
  create(input: NewSnapshot): Promise<{ snapshot: SnapshotMeta; created: boolean }>;
  /** Newest first. */
  list(sessionId: string): Promise<SnapshotMeta[]>;
  get(sessionId: string, id: number): Promise<Snapshot | undefined>;
  /** True when a row was deleted. */
  delete(sessionId: string, id: number): Promise<boolean>;
  hasAny(sessionId: string): Promise<boolean>;
  /** Deletes all but the newest `keep` automatic snapshots of a session; returns how many went. */
  prune(sessionId: string, keep: number): Promise<number>;
}

/** One row per live server process (see ServerLease). */
export interface LeaseRows {
  /** Inserts the holder's row, or renews its heartbeat. */
  put(holder: LeaseHolder): Promise<void>;
  remove(instanceId: string): Promise<void>;
  /** Every row, most recent heartbeat first (live or not: readers judge). */
  all(): Promise<LeaseHolder[]>;
}
