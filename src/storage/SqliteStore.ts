/**
 * The embedded document store: one SQLite file in WAL mode, one process. Statements are
 * prepared once. The work is synchronous (better-sqlite3): a resolved promise means the
 * statement ran and committed before anything else could, which keeps log order and
 * acknowledgement order the same without grouping.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';
import { SqliteLeaseRows } from './SqliteLeaseRows.ts';
import { SnapshotStore, type NewSnapshot, type SnapshotMeta } from './SnapshotStore.ts';
import { StorageProbeError, type LeaseRows, type SnapshotRows, type Store, type StoredDocument } from './Store.ts';

export { StorageProbeError, type StoredDocument };

export interface SqliteStoreOptions {
  /** SQLite `synchronous`: NORMAL survives a process crash (kill -9), FULL also survives power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long a statement waits for a lock held by another process, in ms. Every call blocks the
   * event loop, so this is kept short: a failed append closes that connection unacknowledged and
   * the provider sends the update again.
   * @default 250
   */
  busyTimeoutMs?: number;
  /** Apply pending migrations on open (the default). */
  migrate?: boolean;
  /**
   * Free space the disk must keep for `probe()` to pass, in bytes: SQLite reuses WAL space, so a
   * small probe write can succeed on a disk that is full for anything larger.
   * @default 16777216 (16 MiB)
   */
  minFreeBytes?: number;
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly db: Database.Database;
  readonly path: string;
  readonly snapshots: SnapshotRows;
  readonly leases: LeaseRows;
  /** The synchronous snapshot rows (for a transaction that spans snapshots and the log). */
  readonly snapshotRows: SnapshotStore;
  private closed = false;
  /** Highest log id this process has seen per document: compaction trims up to it, never past. */
  private readonly lastLogId = new Map<string, number>();
  private readonly statements;
  private readonly minFreeBytes: number;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    this.minFreeBytes = options.minFreeBytes ?? 16 * 1024 * 1024;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 250)}`);
    this.db.pragma('foreign_keys = ON');
    if (options.migrate !== false) migrate(this.db);
    this.statements = {
      state: this.db.prepare<[string], { state: Buffer }>('SELECT state FROM documents WHERE name = ?'),
      log: this.db.prepare<[string], { id: number; data: Buffer }>(
        'SELECT id, data FROM document_updates WHERE document_name = ? ORDER BY id',
      ),
      append: this.db.prepare('INSERT INTO document_updates (document_name, data, created_at) VALUES (?, ?, ?)'),
      upsertState: this.db.prepare(
        `INSERT INTO documents (name, state, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      ),
      trim: this.db.prepare('DELETE FROM document_updates WHERE document_name = ? AND id <= ?'),
      pending: this.db.prepare<[string], { count: number; bytes: number | null }>(
        'SELECT COUNT(*) AS count, SUM(LENGTH(data)) AS bytes FROM document_updates WHERE document_name = ?',
      ),
      exists: this.db.prepare<[string, string], { found: number }>(
        `SELECT 1 AS found FROM documents WHERE name = ?
         UNION ALL SELECT 1 FROM document_updates WHERE document_name = ? LIMIT 1`,
      ),
      probe: this.db.prepare(
        'INSERT INTO storage_probe (id, probed_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at',
      ),
    };
    this.snapshotRows = new SnapshotStore(this.db);
    this.snapshots = asyncRows(this.snapshotRows);
    this.leases = new SqliteLeaseRows(this.db);
  }

  get location(): string {
    return this.path;
  }

  async open(): Promise<void> {}

  async load(name: string): Promise<StoredDocument> {
    return this.loadSync(name);
  }

  async append(name: string, update: Uint8Array): Promise<number> {
    return this.appendSync(name, update);
  }

  async compact(name: string, state: Uint8Array, upTo?: number): Promise<void> {
    this.compactSync(name, state, upTo);
  }

  async pending(name: string): Promise<{ updates: number; bytes: number }> {
    return this.pendingSync(name);
  }

  async exists(name: string): Promise<boolean> {
    return this.statements.exists.get(name, name) !== undefined;
  }

  async probe(): Promise<void> {
    this.probeSync();
  }

  async commitRestore(snapshot: NewSnapshot, edit: Uint8Array | undefined): Promise<{ snapshot: SnapshotMeta; created: boolean; logId?: number }> {
    return this.db.transaction(() => {
      const row = this.snapshotRows.create(snapshot);
      return { ...row, logId: edit ? this.appendSync(snapshot.sessionId, edit) : undefined };
    })();
  }

  /** Reads a document's compacted state and its update log. */
  loadSync(name: string): StoredDocument {
    const row = this.statements.state.get(name);
    const log = this.statements.log.all(name);
    if (log.length > 0) this.lastLogId.set(name, log[log.length - 1].id);
    return { state: row ? new Uint8Array(row.state) : null, updates: log.map((r) => new Uint8Array(r.data)) };
  }

  /** Appends one update to the log; committed when this returns. Returns the row's log id. */
  appendSync(name: string, update: Uint8Array): number {
    const id = Number(this.statements.append.run(name, update, Date.now()).lastInsertRowid);
    this.lastLogId.set(name, id);
    return id;
  }

  /**
   * Replaces the compacted state and trims the log entries it covers, in one transaction. The
   * caller passes the state of a document that contains every log entry up to `upTo` (by default
   * every entry this process appended).
   */
  compactSync(name: string, state: Uint8Array, upTo = this.lastLogId.get(name)): void {
    const now = Date.now();
    this.db.transaction(() => {
      this.statements.upsertState.run(name, state, now, now);
      if (upTo !== undefined) this.statements.trim.run(name, upTo);
    }).immediate();
  }

  /** How much of a document lives only in the log (not yet compacted). */
  pendingSync(name: string): { updates: number; bytes: number } {
    const row = this.statements.pending.get(name);
    return { updates: row?.count ?? 0, bytes: row?.bytes ?? 0 };
  }

  /** Forgets per-document bookkeeping once a document is unloaded. */
  release(name: string): void {
    this.lastLogId.delete(name);
  }

  /**
   * Throws a StorageProbeError unless the store takes a committed write now and the disk keeps
   * `minFreeBytes` free. Catches a lock held past the busy timeout, a full disk, a read-only or
   * immutable file or folder, and a closed store.
   */
  probeSync(): void {
    if (this.closed) throw new StorageProbeError('the store is closed', 'closed');
    try {
      this.statements.probe.run(Date.now());
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unknown';
      throw new StorageProbeError(`a write to ${this.path} failed: ${(error as Error).message}`, code);
    }
    if (this.path === ':memory:') return;
    let free: number;
    try {
      const stats = statfsSync(dirname(this.path));
      free = stats.bavail * stats.bsize;
    } catch {
      return; // statfs is not available everywhere; the write above is the real test
    }
    if (free < this.minFreeBytes) {
      throw new StorageProbeError(`only ${free} bytes free on the disk of ${this.path} (need ${this.minFreeBytes})`, 'disk_full');
    }
  }

  /** `probe()` as a boolean. */
  isWritable(): boolean {
    try {
      this.probeSync();
      return true;
    } catch {
      return false;
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** Checkpoints the WAL into the main file and closes. Idempotent. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }
}

/** The synchronous rows behind the async interface (a thrown error becomes a rejection). */
function asyncRows(rows: SnapshotStore): SnapshotRows {
  return {
    create: async (input) => rows.create(input),
    list: async (sessionId) => rows.list(sessionId),
    get: async (sessionId, id) => rows.get(sessionId, id),
    delete: async (sessionId, id) => rows.delete(sessionId, id),
    hasAny: async (sessionId) => rows.hasAny(sessionId),
    prune: async (sessionId, keep) => rows.prune(sessionId, keep),
  };
}
