/**
 * The lease a listening server holds on its database file: one `server_leases` row per process,
 * renewed on a timer and deleted on shutdown. The offline CLI reads it before touching the file,
 * because an edit written behind a live server's back is lost when that server compacts its
 * loaded copy of the document over it.
 *
 * A lease is live while its heartbeat is younger than `staleAfterIntervals` × the holder's own
 * interval and, when it was taken on this host, its pid still runs: a `kill -9`ed server stops
 * counting at once on its host, and after a few intervals anywhere.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface LeaseHolder {
  instanceId: string;
  pid: number;
  hostname: string;
  /** Where the holder listens, as seen from its own host: `http://HOST:PORT`. */
  url: string;
  startedAt: number;
  heartbeatAt: number;
  intervalMs: number;
}

export interface ServerLeaseOptions {
  /** Where this server listens (see `leaseUrl`). */
  url: string;
  /**
   * How often the heartbeat is renewed, in ms; the lease counts as gone 3 intervals after the
   * last one. A renewal waits up to the store's busy timeout for a lock held elsewhere.
   * @default 5000
   */
  intervalMs?: number;
  logger?: Logger;
}

export const defaultServerLeaseIntervalMs = 5_000;

/** A heartbeat older than this many of the holder's intervals means the holder is gone. */
export const staleAfterIntervals = 3;

interface LeaseRow {
  instance_id: string;
  pid: number;
  hostname: string;
  url: string;
  started_at: number;
  heartbeat_at: number;
  interval_ms: number;
}

export class ServerLease {
  readonly holder: LeaseHolder;
  private readonly db: Database.Database;
  private readonly logger: Logger | undefined;
  private readonly timer: NodeJS.Timeout;
  private failing = false;
  private released = false;

  /** Writes the row (or retries on the timer when the file is locked) and starts renewing it. */
  static acquire(db: Database.Database, options: ServerLeaseOptions): ServerLease {
    return new ServerLease(db, options);
  }

  private constructor(db: Database.Database, options: ServerLeaseOptions) {
    this.db = db;
    this.logger = options.logger;
    const now = Date.now();
    this.holder = {
      instanceId: randomUUID(),
      pid: process.pid,
      hostname: hostname(),
      url: options.url,
      startedAt: now,
      heartbeatAt: now,
      intervalMs: options.intervalMs ?? defaultServerLeaseIntervalMs,
    };
    try {
      const others = liveLeases(db, now);
      // Rows of crashed servers are ignored by readers anyway; deleting them keeps the table small.
      for (const row of allLeases(db)) {
        if (!others.some((o) => o.instanceId === row.instanceId)) db.prepare('DELETE FROM server_leases WHERE instance_id = ?').run(row.instanceId);
      }
      for (const other of others) {
        this.logger?.warn(
          { event: 'database_shared', pid: other.pid, hostname: other.hostname, url: other.url },
          'another tutorboard server is live on this database file; two servers on one file overwrite each other',
        );
      }
    } catch (error) {
      this.logger?.warn({ event: 'lease_prune_failed', err: error }, `could not read other servers' leases: ${describe(error)}`);
    }
    this.renew();
    this.timer = setInterval(() => this.renew(), this.holder.intervalMs);
    this.timer.unref();
  }

  /**
   * Writes the heartbeat (re-inserting the row if it went missing). Never throws: a locked or
   * full file is logged once and retried on the next tick; the lease only lapses if that lasts.
   */
  renew(): boolean {
    if (this.released || !this.db.open) return false;
    const now = Date.now();
    try {
      this.db
        .prepare(
          `INSERT INTO server_leases (instance_id, pid, hostname, url, started_at, heartbeat_at, interval_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (instance_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        )
        .run(this.holder.instanceId, this.holder.pid, this.holder.hostname, this.holder.url, this.holder.startedAt, now, this.holder.intervalMs);
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.logger?.warn(
          { event: 'lease_renewal_failed', err: error, intervalMs: this.holder.intervalMs },
          `could not renew the server lease (${describe(error)}); retrying every interval`,
        );
      }
      return false;
    }
    this.holder.heartbeatAt = now;
    if (this.failing) {
      this.failing = false;
      this.logger?.info({ event: 'lease_renewed' }, 'server lease renewed again');
    }
    return true;
  }

  /** Stops renewing and deletes the row; call before the database closes. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    if (!this.db.open) return;
    try {
      this.db.prepare('DELETE FROM server_leases WHERE instance_id = ?').run(this.holder.instanceId);
    } catch (error) {
      // The row lapses by itself: the pid is gone once this process exits.
      this.logger?.warn({ event: 'lease_release_failed', err: error }, `could not delete the server lease: ${describe(error)}`);
    }
  }
}

/** `http://HOST:PORT` a client on the same host can use; every-interface binds map to loopback. */
export function leaseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export function isLeaseLive(holder: LeaseHolder, now = Date.now(), host = hostname()): boolean {
  if (now - holder.heartbeatAt >= staleAfterIntervals * holder.intervalMs) return false;
  return holder.hostname !== host || pidRuns(holder.pid);
}

/** The live leases in an open database, most recent heartbeat first; none before the lease migration. */
export function liveLeases(db: Database.Database, now = Date.now()): LeaseHolder[] {
  return allLeases(db).filter((holder) => isLeaseLive(holder, now));
}

/**
 * The live leases on a database file, read through a read-only connection so that looking
 * never writes (no migration, no checkpoint). A missing file has none.
 */
export function readLiveLeases(databasePath: string, busyTimeoutMs = 1_000): LeaseHolder[] {
  if (!existsSync(databasePath)) return [];
  const db = new Database(databasePath, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  try {
    return liveLeases(db);
  } finally {
    db.close();
  }
}

function allLeases(db: Database.Database): LeaseHolder[] {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_leases'").get();
  if (!table) return [];
  return db
    .prepare<[], LeaseRow>('SELECT * FROM server_leases ORDER BY heartbeat_at DESC')
    .all()
    .map((row) => ({
      instanceId: row.instance_id,
      pid: row.pid,
      hostname: row.hostname,
      url: row.url,
      startedAt: row.started_at,
      heartbeatAt: row.heartbeat_at,
      intervalMs: row.interval_ms,
    }));
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
