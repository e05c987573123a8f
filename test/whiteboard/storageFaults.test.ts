import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { call, sample, scrape } from '../ops/helpers.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { acknowledged, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, type TestServer } from '../utils/server.ts';
import { DocumentEvents } from '../utils/documentEvents.ts';
import { nextEvent, until } from '../utils/waitFor.ts';

/** The provider's socket closes with `code` (the server's close frame). */
function closedWith(provider: ReturnType<typeof newProvider>, code: number, ms = 5_000) {
  return nextEvent<[{ event: { code: number } }]>(provider as never, 'close', ({ event }) => event.code === code, ms);
}

function logEvents(t: TestServer, event: string) {
  return t.logs.filter((line) => line.event === event);
}

/** What the server holds for a board (live, or from SQLite when unloaded). */
async function serverShapes(t: TestServer, name: string): Promise<Y.Map<unknown>> {
  const live = t.server.hocuspocus.documents.get(name);
  if (live) return live.getMap('shapes');
  const doc = new Y.Doc();
  Y.applyUpdate(doc, (await t.server.persistence.read(name))!);
  return doc.getMap('shapes');
}

async function twoProviders(t: TestServer, name: string) {
  const writer = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'student', sid: name }) });
  const watcher = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'tutor', sid: name, role: 'tutor' }) });
  await Promise.all([synced(writer), synced(watcher)]);
  writer.document.getMap('shapes').set('before', 1);
  await acknowledged(writer);
  return { writer, watcher };
}

/**
 * The promise under a storage fault: the update made while storage fails is never acknowledged
 * (the provider keeps it), the board stays healthy, and once the cause clears the provider's
 * resend lands and every client converges, without a restart.
 */
async function faultAndRecover(t: TestServer, name: string, fault: () => void, clear: () => void, expectedCode: RegExp) {
  const { writer, watcher } = await twoProviders(t, name);
  fault();
  const closed = closedWith(writer, 4503);
  writer.document.getMap('shapes').set('during', 'x'.repeat(64 * 1024));
  await closed;
  // Not applied, not broadcast, not acknowledged.
  expect((await serverShapes(t, name)).has('during')).toBe(false);
  expect(watcher.document.getMap('shapes').has('during')).toBe(false);
  expect(writer.unsyncedChanges).toBeGreaterThan(0);
  const ready = await call(t, 'GET', '/ready');
  expect(ready).toMatchObject({ status: 503, body: { reason: 'storage_not_writable', storage: { code: expect.stringMatching(expectedCode) } } });
  const failing = await scrape(t);
  expect(sample(failing, 'tutorboard_storage_up')).toBe(0);
  expect(sample(failing, 'tutorboard_storage_errors_total', { operation: 'append' })).toBeGreaterThanOrEqual(1);
  expect(sample(failing, 'tutorboard_whiteboard_updates_refused_total', { reason: 'storage_unavailable' })).toBeGreaterThanOrEqual(1);

  clear();
  // The provider reconnects by itself and resends; nothing restarts.
  await docMatches(watcher.document, () => watcher.document.getMap('shapes').has('during'), 15_000);
  await acknowledged(writer, 10_000);
  expect((await serverShapes(t, name)).get('during')).toHaveLength(64 * 1024);
  // The board still emits updates normally after the fault (it used to stop for good).
  writer.document.getMap('shapes').set('after', 2);
  await docMatches(watcher.document, () => watcher.document.getMap('shapes').get('after') === 2);
  await until(() => t.server.storageHealth.ok, t.server.storageHealth, 'change', 5_000, 'storage healthy');
  expect((await call(t, 'GET', '/ready')).status).toBe(200);
  // One line when it started failing, one when it recovered, however many retries in between.
  expect(logEvents(t, 'storage_failing')).toHaveLength(1);
  expect(logEvents(t, 'storage_recovered')).toHaveLength(1);
  expect(logEvents(t, 'storage_failing')[0]).toMatchObject({ level: 'error', code: expect.stringMatching(expectedCode) });
  return { writer, watcher };
}

describe('storage faults', () => {
  it('a write lock held by another connection past SQLITE_BUSY_TIMEOUT_MS: unacknowledged, then resent and kept', async () => {
    const t = await startServer({ SQLITE_BUSY_TIMEOUT_MS: '20' });
    const other = new Database(t.databasePath);
    registerCleanup(() => other.close());
    await faultAndRecover(
      t,
      'lock',
      () => other.exec('BEGIN IMMEDIATE'),
      () => other.exec('ROLLBACK'),
      /^SQLITE_BUSY/,
    );
    // Durable across a restart on the same file.
    await t.stop();
    const again = await startServer({}, { dir: t.dir });
    expect((await serverShapes(again, 'lock')).get('during')).toHaveLength(64 * 1024);
    expect((await serverShapes(again, 'lock')).get('after')).toBe(2);
  });

  describe('on a small tmpfs', () => {
    function smallDisk(): string {
      const dir = join(tempDir(), 'disk');
      mkdirSync(dir);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
      registerCleanup(() => execFileSync('umount', ['-l', dir]));
      return dir;
    }

    it('a full disk: unacknowledged while full, /ready says so, kept once space is freed', async () => {
      const dir = smallDisk();
      const t = await startServer({ STORAGE_MIN_FREE_BYTES: String(512 * 1024) }, { dir });
      const filler = join(dir, 'filler');
      await faultAndRecover(
        t,
        'full',
        () => {
          // Fill the disk to the last block: a chunk at a time until the kernel says no.
          const chunk = Buffer.alloc(64 * 1024);
          let written = 0;
          try {
            for (;;) {
              writeFileSync(filler, chunk, { flag: 'a' });
              written += chunk.length;
            }
          } catch {}
          expect(written).toBeGreaterThan(0);
        },
        () => rmSync(filler),
        /^(SQLITE_FULL|SQLITE_IOERR|disk_full)/,
      );
    });
  });

  it('a read-only database (chattr +i on the file, its WAL and folder): unacknowledged, kept once writable again', async () => {
    const t = await startServer({ STORAGE_MIN_FREE_BYTES: '0' });
    const paths = [t.dir, t.databasePath, `${t.databasePath}-wal`];
    const chattr = (flag: string) => execFileSync('chattr', [flag, ...paths]);
    registerCleanup(() => chattr('-i'));
    await faultAndRecover(t, 'readonly', () => chattr('+i'), () => chattr('-i'), /^SQLITE_(READONLY|IOERR|CANTOPEN|PERM)/);
  });

  it("/ready's probe catches a full disk with no client writing, and clears by itself", async () => {
    const dir = join(tempDir(), 'disk');
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    registerCleanup(() => execFileSync('umount', ['-l', dir]));
    const t = await startServer({ STORAGE_MIN_FREE_BYTES: String(1024 * 1024) }, { dir });
    expect((await call(t, 'GET', '/ready')).status).toBe(200);
    writeFileSync(join(dir, 'filler'), Buffer.alloc(3 * 1024 * 1024 + 512 * 1024));
    expect(await call(t, 'GET', '/ready')).toMatchObject({ status: 503, body: { storage: { operation: 'probe', code: 'disk_full' } } });
    rmSync(join(dir, 'filler'));
    // The recheck timer notices without anyone asking.
    await until(() => t.server.storageHealth.ok, t.server.storageHealth, 'change', 5_000, 'storage healthy again');
  });

  it("/ready's probe catches a read-only (immutable) database file with no client writing", async () => {
    const t = await startServer({ STORAGE_MIN_FREE_BYTES: '0' });
    expect((await call(t, 'GET', '/ready')).status).toBe(200);
    const paths = [t.databasePath, `${t.databasePath}-wal`];
    registerCleanup(() => execFileSync('chattr', ['-i', ...paths]));
    execFileSync('chattr', ['+i', ...paths]);
    expect(await call(t, 'GET', '/ready')).toMatchObject({ status: 503, body: { storage: { operation: 'probe', code: expect.stringMatching(/^SQLITE_/) } } });
    execFileSync('chattr', ['-i', ...paths]);
    await until(() => t.server.storageHealth.ok, t.server.storageHealth, 'change', 5_000, 'storage healthy again');
    expect((await call(t, 'GET', '/ready')).status).toBe(200);
  });

  it('a board whose last client left while storage failed is compacted and unloaded once storage recovers', async () => {
    const events = new DocumentEvents();
    const t = await startServer({ SQLITE_BUSY_TIMEOUT_MS: '20' }, { extensions: [events] });
    const other = new Database(t.databasePath);
    registerCleanup(() => other.close());
    const provider = newProvider({ url: t.whiteboardUrl('left'), name: 'left', token: t.token({ sid: 'left' }) });
    await synced(provider);
    provider.document.getMap('shapes').set('kept', 1);
    await acknowledged(provider);
    other.exec('BEGIN IMMEDIATE');
    const failing = nextEvent(t.server.storageHealth, 'change');
    provider.destroy();
    await failing;
    // Kept in memory rather than lost, while the store cannot be written.
    expect(t.server.hocuspocus.documents.has('left')).toBe(true);
    const unloaded = events.unloaded('left');
    other.exec('ROLLBACK');
    await unloaded;
    expect((await t.server.store.pending('left')).updates).toBe(0);
    expect((await serverShapes(t, 'left')).get('kept')).toBe(1);
  });
});
