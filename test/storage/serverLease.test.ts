import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { isLeaseLive, leaseUrl, readLiveLeases, type LeaseHolder } from '../../src/storage/ServerLease.ts';
import { spawnServer } from '../utils/childServer.ts';
import { startServer, testSecret } from '../utils/server.ts';
import { eventually } from '../utils/waitFor.ts';

function rows(databasePath: string): Array<Record<string, unknown>> {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db.prepare('SELECT * FROM server_leases').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

describe('server lease on the database file', () => {
  it('is written when the server listens, renewed on the timer and deleted on shutdown', async () => {
    const t = await startServer({ SERVER_LEASE_INTERVAL_MS: '200' });
    expect(readLiveLeases(t.databasePath)).toMatchObject([{ pid: process.pid, url: `http://127.0.0.1:${t.port}` }]);
    const [row] = rows(t.databasePath);
    expect(row).toMatchObject({ pid: process.pid, hostname: hostname(), url: `http://127.0.0.1:${t.port}`, interval_ms: 200 });
    await eventually(() => (rows(t.databasePath)[0].heartbeat_at as number) > (row.heartbeat_at as number), 5_000, 'a renewed heartbeat');
    await t.stop();
    expect(rows(t.databasePath)).toEqual([]);
  });

  it('a renewal that finds the file locked is logged once and retried; the server keeps serving', async () => {
    const t = await startServer({ SERVER_LEASE_INTERVAL_MS: '50', SQLITE_BUSY_TIMEOUT_MS: '5' });
    const other = new Database(t.databasePath);
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      await eventually(() => t.logs.some((l) => l.event === 'lease_renewal_failed'), 2_000, 'a failed renewal to be logged');
      expect((await fetch(t.httpUrl('/health'))).status).toBe(200);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    await eventually(() => t.logs.some((l) => l.event === 'lease_renewed'), 2_000, 'the renewal to recover');
    const failures = t.logs.filter((l) => l.event === 'lease_renewal_failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 'warn', err: { code: 'SQLITE_BUSY' } });
    const heartbeat = rows(t.databasePath)[0].heartbeat_at as number;
    expect(Date.now() - heartbeat).toBeLessThan(1_000);
  });

  it("a starting server drops a crashed server's row and warns about a live one", async () => {
    const first = await startServer();
    const crashed = await spawnServer({ DATABASE_PATH: first.databasePath, JWT_SECRET: testSecret });
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(rows(first.databasePath).map((r) => r.pid)).toEqual(expect.arrayContaining([process.pid, crashed.child.pid]));
    const second = await startServer({}, { dir: first.dir });
    expect(second.logs.find((l) => l.event === 'database_shared')).toMatchObject({ level: 'warn', pid: process.pid, url: `http://127.0.0.1:${first.port}` });
    const left = rows(first.databasePath).map((r) => r.url);
    expect(left.sort()).toEqual([`http://127.0.0.1:${first.port}`, `http://127.0.0.1:${second.port}`].sort());
  });

  it('is live while its heartbeat is recent and, on this host, its pid runs', () => {
    const now = Date.now();
    const holder: LeaseHolder = { instanceId: 'x', pid: process.pid, hostname: hostname(), url: 'http://127.0.0.1:1', startedAt: now, heartbeatAt: now - 100, intervalMs: 1_000 };
    expect(isLeaseLive(holder, now)).toBe(true);
    expect(isLeaseLive({ ...holder, heartbeatAt: now - 3_000 }, now)).toBe(false);
    // A pid that cannot run (above Linux's pid_max): dead on this host, unknown on another.
    expect(isLeaseLive({ ...holder, pid: 2 ** 22 + 1 }, now)).toBe(false);
    expect(isLeaseLive({ ...holder, pid: 2 ** 22 + 1, hostname: 'elsewhere' }, now)).toBe(true);
    expect(isLeaseLive({ ...holder, pid: 2 ** 22 + 1, hostname: 'elsewhere', heartbeatAt: now - 3_000 }, now)).toBe(false);
  });

  it('records a URL a client on the same host can use', () => {
    expect(leaseUrl('0.0.0.0', 1234)).toBe('http://127.0.0.1:1234');
    expect(leaseUrl('::', 1234)).toBe('http://[::1]:1234');
    expect(leaseUrl('::1', 80)).toBe('http://[::1]:80');
    expect(leaseUrl('10.0.0.5', 8080)).toBe('http://10.0.0.5:8080');
  });

  it('SERVER_LEASE_INTERVAL_MS defaults to 5 s and is validated', () => {
    expect(loadConfig({}).serverLeaseIntervalMs).toBe(5_000);
    expect(loadConfig({ SERVER_LEASE_INTERVAL_MS: '200' }).serverLeaseIntervalMs).toBe(200);
    expect(() => loadConfig({ SERVER_LEASE_INTERVAL_MS: '10' })).toThrow(ConfigError);
    expect(() => loadConfig({ SERVER_LEASE_INTERVAL_MS: '5s' })).toThrow(/SERVER_LEASE_INTERVAL_MS/);
  });
});
