/**
 * Snapshot rows on PostgreSQL (migrations/postgres/0002_snapshots.sql), with SnapshotStore's
 * rules: dedupe against the newest snapshot of the session, prune only automatic ones. Several
 * instances may snapshot one session at once (a last-leave snapshot on one, an interval sweep
 * on another), so the read of the newest row and the insert run in one transaction under a
 * per-session advisory lock: without it both would see the same newest row and both insert.
 */
import type pg from 'pg';
import type { SnapshotRows } from './Store.ts';
import {
  automaticReasons,
  newSnapshotMeta,
  reusesNewest,
  snapshotMetaColumns as metaColumns,
  toMeta,
  type NewSnapshot,
  type Snapshot,
  type SnapshotMeta,
  type SnapshotRow as Row,
} from './SnapshotStore.ts';
import { inTransaction } from './postgresConnection.ts';

/** First key of the two-key advisory locks on a session's snapshots (the second is the hashed session id). */
export const snapshotLockSpace = 2;

export class PostgresSnapshotRows implements SnapshotRows {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  create(input: NewSnapshot): Promise<{ snapshot: SnapshotMeta; created: boolean }> {
    return inTransaction(this.pool, (client) => this.createIn(client, input));
  }

  /**
   * `create` inside the caller's transaction (commitRestore adds the restore's edit to it). See
   * SnapshotStore.create for the dedupe rules.
   */
  async createIn(client: pg.ClientBase, input: NewSnapshot): Promise<{ snapshot: SnapshotMeta; created: boolean }> {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [snapshotLockSpace, input.sessionId]);
    const found = await client.query<Row & { content_hash: string }>(
      `SELECT ${metaColumns}, content_hash FROM snapshots WHERE session_id = $1 ORDER BY id DESC LIMIT 1`,
      [input.sessionId],
    );
    const newest = found.rows[0];
    if (newest && reusesNewest(newest, input)) return { snapshot: toMeta(newest), created: false };
    const createdAt = input.createdAt ?? Date.now();
    const inserted = await client.query<{ id: number }>(
      `INSERT INTO snapshots (session_id, created_at, reason, created_by, byte_size, label, state, content_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [input.sessionId, createdAt, input.reason, input.createdBy, input.state.byteLength, input.label ?? null, input.state, input.contentHash],
    );
    const snapshot = newSnapshotMeta(inserted.rows[0].id, input, createdAt);
    return { snapshot, created: true };
  }

  async list(sessionId: string): Promise<SnapshotMeta[]> {
    const result = await this.pool.query<Row>(`SELECT ${metaColumns} FROM snapshots WHERE session_id = $1 ORDER BY id DESC`, [sessionId]);
    return result.rows.map(toMeta);
  }

  async get(sessionId: string, id: number): Promise<Snapshot | undefined> {
    const result = await this.pool.query<Row & { state: Buffer; content_hash: string }>(
      `SELECT ${metaColumns}, state, content_hash FROM snapshots WHERE session_id = $1 AND id = $2`,
      [sessionId, id],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    return { ...toMeta(row), state: new Uint8Array(row.state), contentHash: row.content_hash };
  }

  async delete(sessionId: string, id: number): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM snapshots WHERE session_id = $1 AND id = $2', [sessionId, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async hasAny(sessionId: string): Promise<boolean> {
    const result = await this.pool.query('SELECT 1 FROM snapshots WHERE session_id = $1 LIMIT 1', [sessionId]);
    return result.rows.length > 0;
  }

  async prune(sessionId: string, keep: number): Promise<number> {
    // The automatic snapshots of a session beyond the newest `keep` (OFFSET skips those).
    const result = await this.pool.query(
      `DELETE FROM snapshots WHERE id IN (
         SELECT id FROM snapshots WHERE session_id = $1 AND reason = ANY($2::text[])
         ORDER BY id DESC OFFSET $3
       )`,
      [sessionId, [...automaticReasons], Math.max(0, Math.trunc(keep))],
    );
    return result.rowCount ?? 0;
  }
}
