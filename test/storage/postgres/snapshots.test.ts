import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { stateHash } from '../../../src/stateHash.ts';
import type { LeaseHolder } from '../../../src/storage/ServerLease.ts';
import { createTestDatabase } from '../../utils/postgres.ts';

function stateOf(change: (doc: Y.Doc) => void, doc = new Y.Doc()): { state: Uint8Array; contentHash: string; doc: Y.Doc } {
  change(doc);
  return { state: Y.encodeStateAsUpdate(doc), contentHash: stateHash(doc), doc };
}

describe('PostgresStore snapshots', () => {
  it('dedupe as SnapshotStore does: automatic by state, manual always, pre-restore reuses a kept one', async () => {
    const { snapshots } = await (await createTestDatabase()).openStore();
    const one = stateOf((doc) => doc.getMap('m').set('k', 1));
    const base = { sessionId: 's', createdBy: 'system' };
    const a = await snapshots.create({ ...base, reason: 'auto', ...one });
    expect(a.created).toBe(true);
    expect(await snapshots.create({ ...base, reason: 'auto', ...one })).toEqual({ snapshot: a.snapshot, created: false });
    expect((await snapshots.create({ ...base, reason: 'session-end', ...one })).created).toBe(false);
    expect((await snapshots.create({ ...base, reason: 'manual', createdBy: 'u', label: 'mine', ...one })).created).toBe(true);
    const pre = await snapshots.create({ ...base, reason: 'pre-restore', ...one });
    expect(pre.created).toBe(false);
    expect(pre.snapshot).toMatchObject({ reason: 'manual', createdBy: 'u', label: 'mine' });
    const two = stateOf((doc) => doc.getMap('m').set('k', 2), one.doc);
    await snapshots.create({ ...base, reason: 'auto', ...two });
    expect((await snapshots.create({ ...base, reason: 'pre-restore', ...two })).created).toBe(true);
    expect((await snapshots.list('s')).map((s) => s.reason)).toEqual(['pre-restore', 'auto', 'manual', 'auto']);
  });

  it('lists newest first, gets with state and hash, deletes, and never hands a deleted id out again', async () => {
    const { snapshots } = await (await createTestDatabase()).openStore();
    const one = stateOf((doc) => doc.getArray('a').push([1]));
    const { snapshot } = await snapshots.create({ sessionId: 's', reason: 'manual', createdBy: 'u', createdAt: 1_700_000_000_123, ...one });
    expect(snapshot).toEqual({
      id: expect.any(Number),
      sessionId: 's',
      createdAt: 1_700_000_000_123,
      reason: 'manual',
      createdBy: 'u',
      byteSize: one.state.byteLength,
      label: null,
    });
    expect(await snapshots.get('s', snapshot.id)).toEqual({ ...snapshot, state: one.state, contentHash: one.contentHash });
    expect(await snapshots.get('other', snapshot.id)).toBeUndefined();
    expect(await snapshots.list('s')).toEqual([snapshot]);
    expect(await snapshots.hasAny('s')).toBe(true);
    expect(await snapshots.hasAny('other')).toBe(false);
    expect(await snapshots.delete('other', snapshot.id)).toBe(false);
    expect(await snapshots.delete('s', snapshot.id)).toBe(true);
    expect(await snapshots.delete('s', snapshot.id)).toBe(false);
    expect(await snapshots.hasAny('s')).toBe(false);
    const next = await snapshots.create({ sessionId: 's', reason: 'manual', createdBy: 'u', ...one });
    expect(next.snapshot.id).toBeGreaterThan(snapshot.id);
  });

  it('prunes all but the newest `keep` automatic snapshots of one session', async () => {
    const { snapshots } = await (await createTestDatabase()).openStore();
    const doc = new Y.Doc();
    const reasons = ['auto', 'manual', 'session-end', 'pre-restore', 'auto', 'auto', 'session-end', 'auto'] as const;
    for (const [n, reason] of reasons.entries()) {
      const { state, contentHash } = stateOf((d) => d.getArray('a').push([n]), doc);
      await snapshots.create({ sessionId: 's', reason, createdBy: 'system', state, contentHash });
      await snapshots.create({ sessionId: 'other', reason: 'auto', createdBy: 'system', state, contentHash });
    }
    expect(await snapshots.prune('s', 3)).toBe(3);
    expect((await snapshots.list('s')).map((s) => s.reason)).toEqual(['auto', 'session-end', 'auto', 'pre-restore', 'manual']);
    expect(await snapshots.list('other')).toHaveLength(8);
    expect(await snapshots.prune('s', 3)).toBe(0);
  });

  it('two instances snapshotting one unchanged session at once store it once', async () => {
    const db = await createTestDatabase();
    const [a, b] = [await db.openStore({ instanceId: 'a' }), await db.openStore({ instanceId: 'b' })];
    const one = stateOf((doc) => doc.getMap('m').set('k', 1));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, n) => (n % 2 ? a : b).snapshots.create({ sessionId: 's', reason: 'auto', createdBy: 'system', ...one })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await a.snapshots.list('s')).toHaveLength(1);
  });
});

describe('PostgresStore.commitRestore', () => {
  it('commits the pre-restore snapshot and the edit together; the edit is our own log row', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore({ instanceId: 'restorer' });
    const before = stateOf((doc) => doc.getMap('m').set('k', 1));
    const edit = Y.encodeStateAsUpdate(stateOf((doc) => doc.getMap('m').set('k', 2), new Y.Doc()).doc);
    const result = await store.commitRestore({ sessionId: 's', reason: 'pre-restore', createdBy: 'u', ...before }, edit);
    expect(result).toMatchObject({ created: true, snapshot: { reason: 'pre-restore' }, logId: expect.any(Number) });
    expect((await store.load('s')).updates).toEqual([edit]);
    expect(await db.query('SELECT id::integer AS id, instance_id FROM document_updates')).toEqual([{ id: result.logId, instance_id: 'restorer' }]);
    // Undoing that restore right away reuses the pre-restore snapshot; no edit means no log row.
    const again = await store.commitRestore({ sessionId: 's', reason: 'pre-restore', createdBy: 'u', ...before }, undefined);
    expect(again).toEqual({ snapshot: result.snapshot, created: false });
  });

  it('stores neither when the edit cannot be written', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    // A real refusal from the database for this one row.
    await db.query('ALTER TABLE document_updates ADD CONSTRAINT small_rows CHECK (octet_length(data) < 100)');
    const before = stateOf((doc) => doc.getMap('m').set('k', 1));
    await expect(store.commitRestore({ sessionId: 's', reason: 'pre-restore', createdBy: 'u', ...before }, new Uint8Array(200))).rejects.toMatchObject({
      code: '23514',
    });
    expect(await store.snapshots.list('s')).toEqual([]);
    expect(await store.exists('s')).toBe(false);
    // The connection was rolled back, not lost: the next transaction works.
    expect((await store.commitRestore({ sessionId: 's', reason: 'pre-restore', createdBy: 'u', ...before }, new Uint8Array(5))).created).toBe(true);
  });
});

describe('PostgresStore leases', () => {
  it('inserts, renews the heartbeat only, lists most recent first and removes', async () => {
    const { leases } = await (await createTestDatabase()).openStore();
    const holder = (instanceId: string, heartbeatAt: number): LeaseHolder => ({
      instanceId,
      pid: 4242,
      hostname: hostname(),
      url: 'http://127.0.0.1:1234',
      startedAt: 1_700_000_000_000,
      heartbeatAt,
      intervalMs: 5_000,
    });
    await leases.put(holder('a', 1_700_000_001_000));
    await leases.put(holder('b', 1_700_000_002_000));
    expect((await leases.all()).map((h) => h.instanceId)).toEqual(['b', 'a']);
    await leases.put({ ...holder('a', 1_700_000_003_000), url: 'http://elsewhere:1' });
    expect(await leases.all()).toEqual([{ ...holder('a', 1_700_000_003_000) }, holder('b', 1_700_000_002_000)]);
    await leases.remove('a');
    await leases.remove('nobody');
    expect(await leases.all()).toEqual([holder('b', 1_700_000_002_000)]);
  });
});
