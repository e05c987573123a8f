/**
 * A `server_leases` row as both engines store it (migrations/0004_server_leases.sql and its
 * PostgreSQL twin), and the LeaseHolder it stands for.
 */
import type { LeaseHolder } from './ServerLease.ts';

export interface LeaseRow {
  instance_id: string;
  pid: number;
  hostname: string;
  url: string;
  started_at: number;
  heartbeat_at: number;
  interval_ms: number;
}

export function leaseHolderOf(row: LeaseRow): LeaseHolder {
  return {
    instanceId: row.instance_id,
    pid: row.pid,
    hostname: row.hostname,
    url: row.url,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    intervalMs: row.interval_ms,
  };
}
