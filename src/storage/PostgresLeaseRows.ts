/**
 * Server lease rows on PostgreSQL (migrations/postgres/0004_server_leases.sql): one per live
 * server process, as on SQLite (see ServerLease for how readers judge a row live). On a shared
 * database several live rows are the normal case, one per instance of the cluster.
 */
import type pg from 'pg';
import type { LeaseHolder } from './ServerLease.ts';
import { leaseHolderOf, type LeaseRow } from './leaseRow.ts';
import type { LeaseRows } from './Store.ts';

export class PostgresLeaseRows implements LeaseRows {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async put(holder: LeaseHolder): Promise<void> {
    await this.pool.query(
      `INSERT INTO server_leases (instance_id, pid, hostname, url, started_at, heartbeat_at, interval_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      [holder.instanceId, holder.pid, holder.hostname, holder.url, holder.startedAt, holder.heartbeatAt, holder.intervalMs],
    );
  }

  async remove(instanceId: string): Promise<void> {
    await this.pool.query('DELETE FROM server_leases WHERE instance_id = $1', [instanceId]);
  }

  async all(): Promise<LeaseHolder[]> {
    const result = await this.pool.query<LeaseRow>('SELECT * FROM server_leases ORDER BY heartbeat_at DESC');
    return result.rows.map(leaseHolderOf);
  }
}
