/**
 * The lease a listening server holds on its database file: one `server_leases` row per process,
 * renewed on a timer and deleted on shutdown. The offline CLI reads it before touching the
 * database, because an edit written behind a live server's back is lost when that server
 * compacts its loaded copy of the document over it. The rows live in whichever store the server
 * uses (`Store.leases`).
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
import { readLeaseRows } from './SqliteLeaseRows.ts';
import type { LeaseRows } from './Store.ts';

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
  /**
   * Log a warning for every other live holder: two servers on one SQLite file overwrite each
   * other, while a cluster on PostgreSQL is meant to share its database.
   * @default true
   */
  warnIfShared?: boolean;
}

export const defaultServerLeaseIntervalMs = 5_000;

/** A heartbeat older than this many of the holder's intervals means the holder is gone. */
export const staleAfterIntervals = 3;

export class ServerLease {
  readonly holder: LeaseHolder;
  private readonly rows: LeaseRows;
  private readonly logger: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private released = false;
  private renewal: Promise<boolean> = Promise.resolve(true);

  /** Writes the row (or retries on the timer when the store refuses) and starts renewing it. */
  static async acquire(rows: LeaseRows, options: ServerLeaseOptions): Promise<ServerLease> {
    const lease = new ServerLease(rows, options);
    await lease.start(options.warnIfShared ?? true);
    return lease;
  }

  private constructor(rows: LeaseRows, options: ServerLeaseOptions) {
    this.rows = rows;
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
  }

  private async start(warnIfShared: boolean): Promise<void> {
    try {
      const all = await this.rows.all();
      const others = all.filter((holder) => isLeaseLive(holder));
      // Rows of crashed servers are ignored by readers anyway; deleting them keeps the table small.
      for (const row of all) {
        if (!others.includes(row)) await this.rows.remove(row.instanceId);
      }
      for (const other of warnIfShared ? others : []) {
        this.logger?.warn(
          { event: 'database_shared', pid: other.pid, hostname: other.hostname, url: other.url },
          'another tutorboard server is live on this database file; two servers on one file overwrite each other',
        );
      }
    } catch (error) {
      this.logger?.warn({ event: 'lease_prune_failed', err: error }, `could not read other servers' leases: ${describe(error)}`);
    }
    await this.renew();
    this.timer = setInterval(() => void this.renew(), this.holder.intervalMs);
    this.timer.unref();
  }

  /**
   * Writes the heartbeat (re-inserting the row if it went missing). Never rejects: a failing
   * store is logged once and retried on the next tick; the lease only lapses if that lasts.
   */
  renew(): Promise<boolean> {
    this.renewal = this.renewal.then(() => this.write());
    return this.renewal;
  }

  private async write(): Promise<boolean> {
    if (this.released) return false;
    const now = Date.now();
    try {
      await this.rows.put({ ...this.holder, heartbeatAt: now });
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

  /** Stops renewing and deletes the row; call before the store closes. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    clearInterval(this.timer);
    await this.renewal;
    this.released = true;
    try {
      await this.rows.remove(this.holder.instanceId);
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

/** The live leases in an open SQLite database, most recent heartbeat first; none before the lease migration. */
export function liveLeases(db: Database.Database, now = Date.now()): LeaseHolder[] {
  return readLeaseRows(db).filter((holder) => isLeaseLive(holder, now));
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

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
