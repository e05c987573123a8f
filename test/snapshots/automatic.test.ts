import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { api, edit, editor } from './helpers.ts';
import type { SnapshotMeta } from '../../src/storage/SnapshotStore.ts';
import { SnapshotStore } from '../../src/storage/SnapshotStore.ts';
import { SqliteStore } from '../../src/storage/SqliteStore.ts';
import { stateHash } from '../../src/stateHash.ts';
import { nextEvent } from '../utils/waitFor.ts';
import { startServer, tempDir } from '../utils/server.ts';
import { registerCleanup } from '../utils/cleanup.ts';

function stored(snapshots: unknown, predicate: (s: SnapshotMeta) => boolean, ms = 3_000): Promise<[SnapshotMeta]> {
  return nextEvent<[SnapshotMeta]>(snapshots as never, 'snapshot', predicate, ms);
}

function openStore(): { store: SqliteStore; snapshots: SnapshotStore } {
  const store = new SqliteStore(`${tempDir()}/snapshots.db`);
  registerCleanup(() => store.close());
  return { store, snapshots: new SnapshotStore(store.db) };
}

function stateOf(change: (doc: Y.Doc) => void, doc = new Y.Doc()): { state: Uint8Array; contentHash: string; doc: Y.Doc } {
  change(doc);
  return { state: Y.encodeStateAsUpdate(doc), contentHash: stateHash(doc), doc };
}

describe('automatic snapshots', () => {
  it('takes one on the interval for a changed document, and none while nothing changes', async () => {
    const t = await startServer({ SNAPSHOT_INTERVAL_MS: '50' });
    const a = await editor(t, 'ticking');
    const first = stored(t.server.snapshots, (s) => s.sessionId === 'ticking');
    await edit(a, (doc) => doc.getMap('shapes').set('s1', { x: 1 }));
    const [snapshot] = await first;
    expect(snapshot).toMatchObject({ reason: 'auto', createdBy: 'system', label: null });

    const second = stored(t.server.snapshots, (s) => s.sessionId === 'ticking');
    await edit(a, (doc) => doc.getMap('shapes').set('s2', { x: 2 }));
    const [next] = await second;
    expect(next.id).toBeGreaterThan(snapshot.id);
    const content = await api(t, 'GET', `/api/sessions/ticking/snapshots/${next.id}?format=json`);
    expect(content.body).toEqual({ shapes: { s1: { x: 1 }, s2: { x: 2 } } });
    // Sweeps keep running (the marker session gets its snapshot) without snapshotting the unchanged board.
    const b = await editor(t, 'marker');
    const marker = stored(t.server.snapshots, (s) => s.sessionId === 'marker');
    await edit(b, (doc) => doc.getArray('a').push([1]));
    await marker;
    expect((await api(t, 'GET', '/api/sessions/ticking/snapshots')).body).toHaveLength(2);
  });

  it('takes a session-end snapshot when the last client leaves a changed document', async () => {
    const t = await startServer();
    const a = await editor(t, 'ending');
    const b = await editor(t, 'ending', new Y.Doc(), 'student-1');
    await edit(a, (doc) => doc.getText('notes').insert(0, 'see you'));
    const ended = stored(t.server.snapshots, (s) => s.sessionId === 'ending');
    a.destroy();
    b.destroy();
    const [snapshot] = await ended;
    expect(snapshot).toMatchObject({ reason: 'session-end', createdBy: 'system' });
    const content = await api(t, 'GET', `/api/sessions/ending/snapshots/${snapshot.id}?format=json`);
    expect(content.body).toEqual({ notes: 'see you' });
  });

  it('does not store an unchanged state twice', async () => {
    const first = await startServer();
    const a = await editor(first, 'same');
    await edit(a, (doc) => doc.getMap('shapes').set('s1', 1));
    const swept = stored(first.server.snapshots, (s) => s.sessionId === 'same');
    first.server.snapshots.snapshotChanged();
    await swept;
    // Another sweep and the last client leaving: the state has not changed since.
    first.server.snapshots.snapshotChanged();
    a.destroy();
    await first.stop();
    // After a restart the same state, loaded again, is not stored again either.
    const t = await startServer({}, { dir: first.dir });
    const b = await editor(t, 'same');
    t.server.snapshots.snapshotChanged();
    b.destroy();
    await t.stop();
    const store = new SqliteStore(t.databasePath);
    registerCleanup(() => store.close());
    expect(new SnapshotStore(store.db).list('same').map((s) => s.reason)).toEqual(['auto']);
  });
});

describe('SnapshotStore', () => {
  it('dedupes automatic snapshots by state, but always stores manual ones', () => {
    const { snapshots } = openStore();
    const one = stateOf((doc) => doc.getMap('m').set('k', 1));
    const base = { sessionId: 's', createdBy: 'system' };
    const a = snapshots.create({ ...base, reason: 'auto', ...one });
    expect(a.created).toBe(true);
    expect(snapshots.create({ ...base, reason: 'auto', ...one })).toEqual({ snapshot: a.snapshot, created: false });
    expect(snapshots.create({ ...base, reason: 'session-end', ...one }).created).toBe(false);
    // The same state re-encoded from a fresh load hashes the same.
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, one.state);
    expect(stateHash(reloaded)).toBe(one.contentHash);
    expect(snapshots.create({ ...base, reason: 'manual', createdBy: 'u', ...one }).created).toBe(true);
    // pre-restore reuses an identical kept snapshot, but not an automatic one.
    const pre = snapshots.create({ ...base, reason: 'pre-restore', ...one });
    expect(pre.created).toBe(false);
    expect(pre.snapshot.reason).toBe('manual');
    const two = stateOf((doc) => doc.getMap('m').set('k', 2), one.doc);
    snapshots.create({ ...base, reason: 'auto', ...two });
    expect(snapshots.create({ ...base, reason: 'pre-restore', ...two }).created).toBe(true);
    expect(snapshots.list('s').map((s) => s.reason)).toEqual(['pre-restore', 'auto', 'manual', 'auto']);
  });

  it('keeps the newest `keep` automatic snapshots per session and never prunes manual or pre-restore ones', () => {
    const { snapshots } = openStore();
    const doc = new Y.Doc();
    const reasons = ['auto', 'manual', 'session-end', 'pre-restore', 'auto', 'auto', 'session-end', 'auto'] as const;
    reasons.forEach((reason, n) => {
      const { state, contentHash } = stateOf((d) => d.getArray('a').push([n]), doc);
      snapshots.create({ sessionId: 's', reason, createdBy: 'system', state, contentHash });
      snapshots.create({ sessionId: 'other', reason: 'auto', createdBy: 'system', state, contentHash });
    });
    expect(snapshots.prune('s', 3)).toBe(3);
    expect(snapshots.list('s').map((s) => s.reason)).toEqual(['auto', 'session-end', 'auto', 'pre-restore', 'manual']);
    expect(snapshots.list('other')).toHaveLength(8);
    expect(snapshots.prune('s', 3)).toBe(0);
  });

  it('prunes on every automatic snapshot of a running server (SNAPSHOT_KEEP)', async () => {
    const t = await startServer({ SNAPSHOT_KEEP: '2' });
    const a = await editor(t, 'kept');
    await api(t, 'POST', '/api/sessions/kept/snapshots', { body: { label: 'keep me' } });
    for (let n = 0; n < 4; n += 1) {
      await edit(a, (doc) => doc.getArray('a').push([n]));
      t.server.snapshots.snapshotChanged();
    }
    const list = (await api(t, 'GET', '/api/sessions/kept/snapshots')).body as Array<{ reason: string; label: string | null }>;
    expect(list.map((s) => s.reason)).toEqual(['auto', 'auto', 'manual']);
    expect(list[2].label).toBe('keep me');
  });
});
