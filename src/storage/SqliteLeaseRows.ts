/**
 * The `server_leases` rows of a SQLite file (migrations/0004_server_leases.sql). The offline CLI
 * reads them through a read-only connection (`readLeaseRows`), so looking never writes.
 */
import type Database from 'better-sqlite3';
import type { LeaseHolder } from './ServerLease.ts';
import { leaseHolderOf, type LeaseRow } from './leaseRow.ts';
import type { LeaseRows } from './Store.ts';

export class SqliteLeaseRows implements LeaseRows {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
  }

  async put(holder: LeaseHolder): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO server_leases (instance_id, pid, hostname, url, started_at, heartbeat_at, interval_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, url = excluded.url`,
      )
      .run(holder.instanceId, holder.pid, holder.hostname, holder.url, holder.startedAt, holder.heartbeatAt, holder.intervalMs);
  }

  async remove(instanceId: string): Promise<void> {
    this.db.prepare('DELETE FROM server_leases WHERE instance_id = ?').run(instanceId);
  }

  async all(): Promise<LeaseHolder[]> {
    return readLeaseRows(this.db);
  }
}

/** Every lease row, most recent heartbeat first; none before the lease migration. */
export function readLeaseRows(db: Database.Database): LeaseHolder[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_leases'").get();
  if (!table) return [];
  return db
    .prepare<[], LeaseRow>('SELECT * FROM server_leases ORDER BY heartbeat_at DESC')
    .all()
    .map(leaseHolderOf);
}
