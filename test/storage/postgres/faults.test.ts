/**
 * Connections cut under the store (`pg_terminate_backend`), a database that refuses connections
 * and a server that is not there: every failure is a rejected promise with a clear code, never
 * an unhandled 'error' event, and the store works again by itself once the cause is gone.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createLogger } from '../../../src/logger.ts';
import { PostgresStore } from '../../../src/storage/PostgresStore.ts';
import { StorageProbeError } from '../../../src/storage/Store.ts';
import { registerCleanup } from '../../utils/cleanup.ts';
import { createTestDatabase } from '../../utils/postgres.ts';
import { startProxy } from '../../utils/tcpProxy.ts';
import { eventually, until, withTimeout } from '../../utils/waitFor.ts';
import { freePort } from '../../utils/freePort.ts';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

function update(key: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('m').set(key, key);
  return Y.encodeStateAsUpdate(doc);
}

async function probeError(store: PostgresStore): Promise<StorageProbeError> {
  const error = await store.probe().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageProbeError);
  return error as StorageProbeError;
}

describe('PostgresStore under connection faults', () => {
  it('probe fails with the server\'s code while the database refuses connections, and passes once it takes them again', async () => {
    const db = await createTestDatabase();
    const { logger, lines } = capturedLogger();
    const store = await db.openStore({ logger });
    await store.probe();
    await db.allowConnections(false);
    await db.terminateBackends();
    // The pool notices its idle connections are gone (logged, not thrown) and drops them.
    await until(() => store.pool.totalCount === 0, store.pool, 'remove', 5_000, 'the pool to drop its connections');
    expect(lines.some((l) => l.event === 'postgres_connection_lost')).toBe(true);
    const error = await probeError(store);
    expect(error.code).toBe('55000'); // object_not_in_prerequisite_state: not accepting connections
    expect(error.message).toMatch(/not currently accepting connections/);
    await expect(store.append('doc', update('lost'))).rejects.toMatchObject({ code: '55000' });
    await db.allowConnections(true);
    await store.probe();
    expect(await store.append('doc', update('kept'))).toEqual(expect.any(Number));
  });

  it('probe and every call reject as unreachable when nothing listens, and open() refuses', async () => {
    const port = await freePort();
    const url = `postgres://postgres:secret@127.0.0.1:${port}/nowhere`;
    const store = new PostgresStore(url, { connectTimeoutMs: 2_000 });
    registerCleanup(() => store.close());
    expect(store.location).not.toContain('secret');
    const error = await probeError(store);
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain('secret');
    await expect(store.append('doc', update('x'))).rejects.toThrow(/ECONNREFUSED/);
    await expect(store.load('doc')).rejects.toThrow(/ECONNREFUSED/);
    await expect(PostgresStore.open(url, { connectTimeoutMs: 2_000 })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('recovers by itself when the server comes back (connections cut, new ones refused, then allowed)', async () => {
    const db = await createTestDatabase();
    const proxy = await startProxy(5432);
    const store = await PostgresStore.open(db.urlVia(proxy.port), { poolSize: 3 });
    registerCleanup(() => store.close());
    await store.append('doc', update('before'));
    proxy.refuseNew = true;
    await db.terminateBackends();
    await until(() => store.pool.totalCount === 0, store.pool, 'remove', 5_000, 'the pool to drop its connections');
    expect((await probeError(store)).code).toBe('unreachable');
    await expect(store.append('doc', update('refused'))).rejects.toThrow();
    proxy.refuseNew = false;
    await store.probe();
    await store.append('doc', update('after'));
    const { updates } = await store.load('doc');
    const doc = new Y.Doc();
    for (const u of updates) Y.applyUpdate(doc, u);
    expect(Object.keys(doc.getMap('m').toJSON()).sort()).toEqual(['after', 'before']);
  });

  it('a link that stops carrying bytes fails calls after the query timeout instead of holding them; new connections work', async () => {
    const db = await createTestDatabase();
    const proxy = await startProxy(5432);
    const store = await PostgresStore.open(db.urlVia(proxy.port), { poolSize: 2, queryTimeoutMs: 300, connectTimeoutMs: 300 });
    registerCleanup(() => store.close());
    await store.append('doc', update('before'));
    proxy.freezeOpen();
    await expect(withTimeout(store.append('doc', update('stuck')), 10_000, 'the stuck append to fail')).rejects.toThrow(/timeout/i);
    // The frozen connection was dropped; the proxy passes new ones.
    await store.append('doc', update('after'));
    await store.probe();
  });

  it('a batch in flight when its backend is terminated rejects every caller (nothing committed); the next append succeeds', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore({ instanceId: 'victim' });
    const blocker = await db.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE document_updates IN EXCLUSIVE MODE');
    const batch = ['a', 'b', 'c', 'd'].map((key) => store.append('doc', update(key)));
    const settled = Promise.allSettled(batch);
    await eventually(
      async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO document_updates%'")).length > 0,
      10_000,
      'the batch to wait for the table lock',
    );
    expect(await db.terminateBackends([blocker])).toBeGreaterThan(0);
    const results = await withTimeout(settled, 10_000, 'the cut batch to settle');
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    await blocker.query('COMMIT');
    expect(await db.query('SELECT COUNT(*)::integer AS n FROM document_updates')).toEqual([{ n: 0 }]);
    const id = await store.append('doc', update('e'));
    expect(await db.query('SELECT id::integer AS id FROM document_updates')).toEqual([{ id }]);
    await store.probe();
  });

  it('a compaction whose backend is terminated rejects and leaves state and log as they were', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    const first = update('a');
    await store.append('doc', first);
    const blocker = await db.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE documents IN EXCLUSIVE MODE');
    const compaction = store.compact('doc', first).then(
      () => 'resolved',
      () => 'rejected',
    );
    await eventually(
      async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO documents%'")).length > 0,
      10_000,
      'the compaction to wait for the table lock',
    );
    await db.terminateBackends([blocker]);
    expect(await withTimeout(compaction, 10_000, 'the cut compaction to settle')).toBe('rejected');
    await blocker.query('COMMIT');
    expect(await store.load('doc')).toEqual({ state: null, updates: [first] });
    await store.compact('doc', first);
    expect(await store.load('doc')).toEqual({ state: first, updates: [] });
  });
});
