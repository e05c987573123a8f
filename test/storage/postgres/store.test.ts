import pg from 'pg';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { maskPassword } from '../../../src/storage/postgresConnection.ts';
import { createTestDatabase } from '../../utils/postgres.ts';

function updates(count: number, doc = new Y.Doc()): Uint8Array[] {
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = 0; i < count; i += 1) doc.getMap('m').set(`k${i}`, i);
  return out;
}

/** Counts the statements a pool runs and the connections it hands out. */
function countQueries(pool: pg.Pool): { texts: string[]; acquired: () => number } {
  const texts: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    texts.push(String(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text));
    return query(...args);
  }) as typeof pool.query;
  let acquired = 0;
  pool.on('acquire', () => (acquired += 1));
  return { texts, acquired: () => acquired };
}

describe('PostgresStore', () => {
  it('appends, loads in id order, compacts and reports pending and existence', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore({ instanceId: 'one' });
    expect(store.engine).toBe('postgres');
    expect(store.location).toBe(db.url);
    expect(await store.exists('doc')).toBe(false);
    expect(await store.load('doc')).toEqual({ state: null, updates: [] });
    expect(await store.pending('doc')).toEqual({ updates: 0, bytes: 0 });

    const doc = new Y.Doc();
    const [a, b, c] = updates(3, doc);
    const ids = [await store.append('doc', a), await store.append('doc', b), await store.append('doc', c)];
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(await store.exists('doc')).toBe(true);
    expect(await store.exists('other')).toBe(false);
    expect(await store.load('doc')).toEqual({ state: null, updates: [a, b, c] });
    expect(await store.pending('doc')).toEqual({ updates: 3, bytes: a.byteLength + b.byteLength + c.byteLength });
    expect(await db.query('SELECT DISTINCT instance_id FROM document_updates')).toEqual([{ instance_id: 'one' }]);

    const state = Y.encodeStateAsUpdate(doc);
    await store.compact('doc', state);
    expect(await store.load('doc')).toEqual({ state, updates: [] });
    expect(await store.pending('doc')).toEqual({ updates: 0, bytes: 0 });
    expect(await db.query('SELECT written_by FROM documents')).toEqual([{ written_by: 'one' }]);
  });

  it('keeps its own rows above `upTo` (appended, not applied yet) and trims the rest', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    const doc = new Y.Doc();
    const [a, b] = updates(3, doc); // the third is never logged
    const first = await store.append('doc', a);
    await store.append('doc', b);
    const unapplied = new Y.Doc();
    const [late] = updates(1, unapplied);
    const lateId = await store.append('doc', late);
    // The caller's document holds a and b (and c, which was never logged): not `late` yet.
    await store.compact('doc', Y.encodeStateAsUpdate(doc), lateId - 1);
    const loaded = await store.load('doc');
    expect(loaded.updates).toEqual([late]);
    const check = new Y.Doc();
    Y.applyUpdate(check, loaded.state!);
    expect(check.getMap('m').toJSON()).toEqual({ k0: 0, k1: 1, k2: 2 });
    expect(first).toBeLessThan(lateId);
  });

  it('commits every append of one event-loop turn in one INSERT, each caller getting its own id', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    const counted = countQueries(store.pool);
    const payloads = updates(50);
    const names = payloads.map((_, i) => `doc-${i % 5}`);
    const ids = await Promise.all(payloads.map((u, i) => store.append(names[i], u)));

    expect(counted.texts.filter((t) => t.startsWith('INSERT INTO document_updates'))).toHaveLength(1);
    expect(counted.acquired()).toBe(1);
    expect(new Set(ids).size).toBe(50);
    // One transaction: every row carries the same inserting transaction id.
    expect(await db.query('SELECT DISTINCT xmin::text FROM document_updates')).toHaveLength(1);
    const rows = await db.query<{ id: number; document_name: string; data: Buffer }>('SELECT id, document_name, data FROM document_updates');
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    payloads.forEach((u, i) => {
      expect(byId.get(ids[i])?.document_name).toBe(names[i]);
      expect(new Uint8Array(byId.get(ids[i])!.data)).toEqual(u);
    });
  });

  it('while every append slot is busy, the next turns accumulate into one batch; the spare connection keeps serving', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore({ poolSize: 2 }); // one slot for appends, one for the rest
    await store.load('warm-up');
    // A lock that makes the first batch wait in the database.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE document_updates IN EXCLUSIVE MODE');
    const payloads = updates(30);
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const first = payloads.slice(0, 10).map((u) => store.append('doc', u));
    await nextTurn();
    const second = payloads.slice(10, 20).map((u) => store.append('doc', u));
    await nextTurn();
    const third = payloads.slice(20).map((u) => store.append('doc', u));
    // Reads do not queue behind the blocked batch.
    expect(await store.exists('doc')).toBe(false);
    await blocker.query('COMMIT');
    await blocker.end();
    const ids = await Promise.all([...first, ...second, ...third]);
    expect(new Set(ids).size).toBe(30);
    const batches = await db.query<{ xmin: string; n: number }>('SELECT xmin::text, COUNT(*)::integer AS n FROM document_updates GROUP BY 1 ORDER BY MIN(id)');
    expect(batches.map((b) => b.n)).toEqual([10, 20]);
    expect((await store.load('doc')).updates).toHaveLength(30);
  });

  it('with grouping off (maxBatchRows 1), each append is its own INSERT', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore({ maxBatchRows: 1 });
    const ids = await Promise.all(updates(6).map((u) => store.append('doc', u)));
    expect(new Set(ids).size).toBe(6);
    expect(await db.query('SELECT DISTINCT xmin::text FROM document_updates')).toHaveLength(6);
  });

  it('close() commits what was requested, is idempotent, and later calls reject', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    const pending = updates(5).map((u) => store.append('doc', u));
    const closing = store.close();
    await Promise.all([closing, store.close()]);
    expect(await Promise.all(pending)).toHaveLength(5);
    expect(store.isOpen).toBe(false);
    await expect(store.append('doc', new Uint8Array([0]))).rejects.toMatchObject({ code: 'closed' });
    await expect(store.probe()).rejects.toMatchObject({ name: 'StorageProbeError', code: 'closed' });
    expect(await db.query('SELECT COUNT(*)::integer AS n FROM document_updates')).toEqual([{ n: 5 }]);
  });

  it('masks the password of its location', () => {
    expect(maskPassword('postgres://app:s3cret@db.example:5432/tutorboard')).toBe('postgres://app:***@db.example:5432/tutorboard');
    expect(maskPassword('postgres://app@db/tutorboard')).toBe('postgres://app@db/tutorboard');
    expect(maskPassword('host=db password=s3cret dbname=x')).toBe('host=db password=*** dbname=x');
  });
});
