/**
 * The shared document store: PostgreSQL through a node-postgres pool, one database for every
 * instance of a cluster (SqliteStore is the embedded single-process one).
 *
 * Appends are grouped (AppendBatcher): all appends of one event-loop turn commit in one
 * multi-row INSERT. At most `poolSize - 1` batches are out at once, so one connection always
 * stays free for everything else: a document load, a compaction or the readiness probe never
 * waits behind a stream of appends, and appends never starve when those are slow.
 *
 * A connection that breaks (backend terminated, server down) only rejects the promises of what
 * ran on it; the pool drops it and opens a new one on the next call, so the store recovers by
 * itself once the server is back.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import * as Y from 'yjs';
import type { Logger } from '../logger.ts';
import { AppendBatcher, type BatchRow } from './AppendBatcher.ts';
import { describeFailure, failureCode, inTransaction, maskPassword, numericTypes } from './postgresConnection.ts';
import { PostgresLeaseRows } from './PostgresLeaseRows.ts';
import { migratePostgres } from './postgresMigrations.ts';
import { PostgresSnapshotRows } from './PostgresSnapshotRows.ts';
import type { NewSnapshot, SnapshotMeta } from './SnapshotStore.ts';
import { StorageProbeError, type Store, type StoredDocument } from './Store.ts';

export interface PostgresStoreOptions {
  /**
   * Connections in the pool; appends use at most `poolSize - 1` of them at once.
   * @default 10
   */
  poolSize?: number;
  /**
   * Names this instance in the log rows it writes and in `written_by` of the states it stores.
   * @default `${hostname()}-${process.pid}`
   */
  instanceId?: string;
  /** Apply pending migrations in `open()` (the default). */
  migrate?: boolean;
  /**
   * How long opening a connection may take before the call that needed it fails, in ms.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * How long a statement may wait for its reply before its call fails and its connection is
   * dropped, in ms: a server that hangs (or a link that silently died) fails calls instead of
   * holding them forever. `probe()` waits at most `connectTimeoutMs`.
   * @default 30000
   */
  queryTimeoutMs?: number;
  /**
   * Appends in one round trip at most (grouping off: 1).
   * @default 1000
   */
  maxBatchRows?: number;
  logger?: Logger;
}

/** First key of the two-key advisory locks on a document's compaction (the second is the hashed name). */
export const documentLockSpace = 1;

const defaultPoolSize = 10;
const maxBatchBytes = 8 * 1024 * 1024;

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly location: string;
  readonly instanceId: string;
  /** The pool itself, for the CLI's and the tests' own queries. */
  readonly pool: pg.Pool;
  readonly snapshots: PostgresSnapshotRows;
  readonly leases: PostgresLeaseRows;
  /** Versions applied by `open()`. */
  appliedMigrations: number[] = [];
  private readonly batcher: AppendBatcher;
  private readonly logger: Logger | undefined;
  /**
   * Log ids this store appended, per document, until a compaction trims them: the rows the
   * caller can promise are in its state. Kept here rather than read from `instance_id`, which a
   * restarted process with the same INSTANCE_ID shares with its predecessor's rows.
   */
  private readonly appended = new Map<string, Set<number>>();
  /**
   * Per document: the stored state's version while it holds exactly the `state` of our last
   * compact, which the caller's document has since grown from, so the next compact may skip
   * merging it. Not recorded on `load`: a load may feed a scratch document (a snapshot of an
   * unloaded board) rather than the one compacted later.
   */
  private readonly exactVersion = new Map<string, number>();
  private closing: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private readonly migrateOnOpen: boolean;
  private readonly probeTimeoutMs: number;

  /** Connects, migrates (unless `migrate: false`) and returns the store; rejects when the database is unreachable. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(url, options);
    try {
      await store.open();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Connects and migrates (unless `migrate: false`); once, however often it is called. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      if (this.migrateOnOpen) this.appliedMigrations = await migratePostgres(this.pool);
      else await this.pool.query('SELECT 1');
    })();
    return this.opening;
  }

  /** Opens no connection yet (the pool connects on first use); `open()` is the usual way. */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    const poolSize = Math.max(1, Math.trunc(options.poolSize ?? defaultPoolSize));
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}`;
    this.location = maskPassword(url);
    this.migrateOnOpen = options.migrate !== false;
    this.logger = options.logger;
    this.pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      query_timeout: options.queryTimeoutMs ?? 30_000,
      // A client that stops mid-transaction (frozen, not disconnected) must not hold a
      // document's advisory lock for longer than this.
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
      application_name: `tutorboard ${this.instanceId}`.slice(0, 63),
      types: numericTypes,
    });
    this.probeTimeoutMs = options.connectTimeoutMs ?? 5_000;
    // An idle connection that breaks (terminated, server restarted) is reported here; without a
    // listener the pool's 'error' event would crash the process. The pool drops that connection.
    this.pool.on('error', (error) => {
      this.logger?.warn({ event: 'postgres_connection_lost', err: error, location: this.location }, `an idle PostgreSQL connection broke: ${error.message}`);
    });
    this.batcher = new AppendBatcher({
      write: (rows) => this.insert(rows),
      maxInFlight: Math.max(1, poolSize - 1),
      maxRows: Math.max(1, Math.min(Math.trunc(options.maxBatchRows ?? 1000), 16_000)),
      maxBytes: maxBatchBytes,
    });
    this.snapshots = new PostgresSnapshotRows(this.pool);
    this.leases = new PostgresLeaseRows(this.pool);
  }

  get isOpen(): boolean {
    return this.closing === undefined;
  }

  async load(name: string): Promise<StoredDocument> {
    this.assertOpen();
    // One statement reads one snapshot of the database: a compaction committing in between
    // cannot hand us the old state and the trimmed log.
    const result = await this.pool.query<{ id: number | null; data: Buffer }>(
      `SELECT id, data FROM (
         SELECT NULL::bigint AS id, state AS data FROM documents WHERE name = $1
         UNION ALL SELECT id, data FROM document_updates WHERE document_name = $1
       ) AS parts ORDER BY id NULLS FIRST`,
      [name],
    );
    const first = result.rows[0];
    const state = first && first.id === null ? new Uint8Array(first.data) : null;
    const updates = result.rows.slice(state === null ? 0 : 1).map((row) => new Uint8Array(row.data));
    return { state, updates };
  }

  async append(name: string, update: Uint8Array): Promise<number> {
    this.assertOpen();
    const id = await this.batcher.append(name, update);
    this.rowsOf(name).add(id);
    return id;
  }

  /**
   * Several instances compact one document, each from its own Y.Doc, and any of them may lag
   * behind the others (Redis delivers their updates later, or not at all during an outage). So
   * the stored state is never simply replaced and the log never trimmed by `id <= x`:
   * - under a per-document advisory lock (compactions of a document run one at a time, each
   *   reading what the previous one committed), in one transaction,
   * - the new state merges the caller's `state`, the stored state (unless it is exactly what
   *   this store wrote last from the caller's `state`: the caller's document has grown from it
   *   since) and every log row the caller did not promise is in `state`: rows of other
   *   instances, and our own rows the caller does not know were committed yet;
   * - exactly the rows read are deleted, by id: a row with a lower id that another instance
   *   commits after our read was neither merged nor seen, and stays.
   * Our own rows above `upTo` (appended, not yet applied to the caller's document) are neither
   * read nor deleted. Merging is idempotent, so a row merged twice costs time, never content.
   */
  async compact(name: string, state: Uint8Array, upTo = Number.POSITIVE_INFINITY): Promise<void> {
    this.assertOpen();
    const own = [...this.rowsOf(name)];
    const promised = own.filter((id) => id <= upTo);
    const later = own.filter((id) => id > upTo);
    const written = this.exactVersion.get(name);
    const outcome = await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [documentLockSpace, name]);
      // Our promised rows' bytes are not needed, only their ids.
      const read = await client.query<{ id: number | null; data: Buffer | null; version: number | null }>(
        `SELECT NULL::bigint AS id, state AS data, version FROM documents WHERE name = $1
         UNION ALL
         SELECT id, CASE WHEN id = ANY($2::bigint[]) THEN NULL ELSE data END, NULL
           FROM document_updates WHERE document_name = $1 AND NOT (id = ANY($3::bigint[]))`,
        [name, promised, later],
      );
      const parts: Uint8Array[] = [state];
      const trimmed: number[] = [];
      for (const row of read.rows) {
        if (row.id === null) {
          if (row.version !== written) parts.push(row.data!);
        } else {
          trimmed.push(row.id);
          if (row.data !== null) parts.push(row.data);
        }
      }
      const merged = parts.length === 1 ? state : Y.mergeUpdates(parts);
      const now = Date.now();
      const stored = await client.query<{ version: number }>(
        `INSERT INTO documents (name, state, version, written_by, created_at, updated_at)
         VALUES ($1, $2, nextval('document_state_versions'), $3, $4, $4)
         ON CONFLICT (name) DO UPDATE SET state = excluded.state, version = excluded.version,
           written_by = excluded.written_by, updated_at = excluded.updated_at
         RETURNING version`,
        [name, merged, this.instanceId, now],
      );
      if (trimmed.length > 0) await client.query('DELETE FROM document_updates WHERE id = ANY($1::bigint[])', [trimmed]);
      return { version: stored.rows[0].version, exact: parts.length === 1, trimmed };
    });
    const rows = this.appended.get(name);
    if (rows) for (const id of outcome.trimmed) rows.delete(id);
    if (outcome.exact) this.exactVersion.set(name, outcome.version);
    else this.exactVersion.delete(name);
  }

  async pending(name: string): Promise<{ updates: number; bytes: number }> {
    this.assertOpen();
    const result = await this.pool.query<{ updates: number; bytes: number }>(
      `SELECT COUNT(*)::integer AS updates, COALESCE(SUM(octet_length(data)), 0)::bigint AS bytes
       FROM document_updates WHERE document_name = $1`,
      [name],
    );
    return result.rows[0];
  }

  async exists(name: string): Promise<boolean> {
    this.assertOpen();
    const result = await this.pool.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM documents WHERE name = $1)
           OR EXISTS (SELECT 1 FROM document_updates WHERE document_name = $1) AS found`,
      [name],
    );
    return result.rows[0].found;
  }

  release(name: string): void {
    this.appended.delete(name);
    this.exactVersion.delete(name);
  }

  async probe(): Promise<void> {
    if (!this.isOpen) throw new StorageProbeError('the store is closed', 'closed');
    try {
      await this.pool.query({
        text: 'INSERT INTO storage_probe (id, probed_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at',
        values: [Date.now()],
        query_timeout: this.probeTimeoutMs,
      } as pg.QueryConfig);
    } catch (error) {
      throw new StorageProbeError(`a write to ${this.location} failed: ${describeFailure(error)}`, failureCode(error));
    }
  }

  async commitRestore(snapshot: NewSnapshot, edit: Uint8Array | undefined): Promise<{ snapshot: SnapshotMeta; created: boolean; logId?: number }> {
    this.assertOpen();
    const result = await inTransaction(this.pool, async (client): Promise<{ snapshot: SnapshotMeta; created: boolean; logId?: number }> => {
      const row = await this.snapshots.createIn(client, snapshot);
      if (edit === undefined) return row;
      const inserted = await client.query<{ id: number }>(
        'INSERT INTO document_updates (document_name, instance_id, data, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
        [snapshot.sessionId, this.instanceId, edit, Date.now()],
      );
      return { ...row, logId: inserted.rows[0].id };
    });
    if (result.logId !== undefined) this.rowsOf(snapshot.sessionId).add(result.logId);
    return result;
  }

  /** Commits the appends already requested, then closes every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.batcher.drain();
      await this.pool.end();
    })();
    return this.closing;
  }

  /** One multi-row INSERT: one round trip, one implicit transaction. */
  private async insert(rows: BatchRow[]): Promise<number[]> {
    const values: unknown[] = [this.instanceId, Date.now()];
    const tuples = rows.map((row) => {
      values.push(row.name, row.update);
      return `($${values.length - 1}, $1, $${values.length}::bytea, $2::bigint)`;
    });
    const result = await this.pool.query<{ id: number }>(
      `INSERT INTO document_updates (document_name, instance_id, data, created_at) VALUES ${tuples.join(', ')} RETURNING id`,
      values,
    );
    // Identity values are drawn row by row in VALUES order; sorting does not rely on the order
    // RETURNING happens to print them in.
    return result.rows.map((row) => row.id).sort((a, b) => a - b);
  }

  private rowsOf(name: string): Set<number> {
    let rows = this.appended.get(name);
    if (!rows) this.appended.set(name, (rows = new Set()));
    return rows;
  }

  private assertOpen(): void {
    if (!this.isOpen) throw Object.assign(new Error(`the store at ${this.location} is closed`), { code: 'closed' });
  }
}
