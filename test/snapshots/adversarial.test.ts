/**
 * Snapshots under a demanding user: restores while people keep drawing, restores in a row,
 * deletes racing a restore, automatic snapshots racing unloads, and the CLI's edges.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { api, board, deadUrl, edit, editor, runCli } from './helpers.ts';
import { acknowledged, docMatches } from '../utils/provider.ts';
import { startServer, testSecret } from '../utils/server.ts';
import { nextEvent, withTimeout } from '../utils/waitFor.ts';
import { stateHash } from '../../src/stateHash.ts';

/** The board as JSON with map keys sorted: replicas iterate a Y.Map in their own insertion order. */
const json = (doc: Y.Doc) => JSON.stringify(sortKeys(board(doc)));

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, sortKeys(v)]));
}

describe('snapshots: adversarial use', () => {
  it('restores while both providers keep drawing: nothing the restore did not see is lost, and all converge', async () => {
    const t = await startServer();
    const a = await editor(t, 'busy');
    const b = await editor(t, 'busy', new Y.Doc(), 'student-1');
    await edit(a, (doc) => {
      doc.getMap('shapes').set('keep', { kind: 'circle' });
      doc.getArray('strokes').push(['s0']);
    });
    const saved = await api(t, 'POST', '/api/sessions/busy/snapshots');
    expect(saved.status).toBe(201);

    // Both keep adding shapes and strokes, one per turn of the event loop, until told to stop.
    let drawing = true;
    const drawn: string[] = [];
    const draw = async (provider: typeof a, who: string) => {
      for (let i = 0; drawing; i += 1) {
        const key = `${who}-${i}`;
        provider.document.transact(() => {
          provider.document.getMap('shapes').set(key, { by: who, i });
          provider.document.getArray('strokes').push([key]);
        });
        drawn.push(key);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const loops = [draw(a, 'a'), draw(b, 'b')];
    // Let some edits reach the server first, so the restore has something to remove.
    await docMatches(a.document, () => [...a.document.getMap('shapes').keys()].some((k) => k.startsWith('b-')));
    const restored = await api(t, 'POST', `/api/sessions/busy/snapshots/${saved.body.id}/restore`);
    expect(restored.status).toBe(200);
    // Keep drawing for a moment after the restore too.
    const afterRestore = drawn.length;
    await docMatches(a.document, () => drawn.length > afterRestore + 20);
    drawing = false;
    await Promise.all(loops);
    await Promise.all([acknowledged(a), acknowledged(b)]);
    await Promise.race([
      docMatches(a.document, () => json(a.document) === json(b.document)),
      docMatches(b.document, () => json(a.document) === json(b.document)),
    ]);

    const pre = await api(t, 'GET', `/api/sessions/busy/snapshots/${restored.body.preRestoreSnapshotId}?format=json`);
    const removed = new Set(Object.keys(pre.body.shapes ?? {}));
    const shapes = a.document.getMap('shapes');
    // What the server had at the restore is gone (except what the snapshot had) ...
    for (const key of removed) expect(shapes.has(key)).toBe(key === 'keep');
    // ... and every shape it had not seen yet survived, in the map and in the list.
    const survivors = drawn.filter((key) => !removed.has(key));
    expect(survivors.length).toBeGreaterThan(0);
    for (const key of survivors) expect(shapes.has(key)).toBe(true);
    expect(new Set(a.document.getArray('strokes').toArray())).toEqual(new Set(['s0', ...survivors]));
    // The server's copy is the same board.
    const stored = await api(t, 'POST', '/api/sessions/busy/snapshots');
    const server = await api(t, 'GET', `/api/sessions/busy/snapshots/${stored.body.id}?format=json`);
    expect(server.body).toEqual({ shapes: shapes.toJSON(), strokes: a.document.getArray('strokes').toJSON() });
  });

  it('restores twice in a row, then undoes both through the pre-restore snapshots', async () => {
    const t = await startServer();
    const a = await editor(t, 'twice');
    await edit(a, (doc) => doc.getText('title').insert(0, 'first'));
    const first = (await api(t, 'POST', '/api/sessions/twice/snapshots')).body.id;
    await edit(a, (doc) => doc.getText('title').insert(5, ' second'));
    const second = (await api(t, 'POST', '/api/sessions/twice/snapshots')).body.id;
    await edit(a, (doc) => doc.getText('title').insert(12, ' third'));
    const title = () => a.document.getText('title').toString();

    const r1 = await api(t, 'POST', `/api/sessions/twice/snapshots/${first}/restore`);
    await docMatches(a.document, () => title() === 'first');
    const r2 = await api(t, 'POST', `/api/sessions/twice/snapshots/${second}/restore`);
    await docMatches(a.document, () => title() === 'first second');
    // Restoring the board's current content changes nothing; doing it again reuses the same undo point.
    const r3 = await api(t, 'POST', `/api/sessions/twice/snapshots/${second}/restore`);
    expect(r3.status).toBe(200);
    const r4 = await api(t, 'POST', `/api/sessions/twice/snapshots/${second}/restore`);
    expect(r4.body.preRestoreSnapshotId).toBe(r3.body.preRestoreSnapshotId);

    await api(t, 'POST', `/api/sessions/twice/snapshots/${r2.body.preRestoreSnapshotId}/restore`);
    await docMatches(a.document, () => title() === 'first');
    await api(t, 'POST', `/api/sessions/twice/snapshots/${r1.body.preRestoreSnapshotId}/restore`);
    await docMatches(a.document, () => title() === 'first second third');
  });

  it('answers a delete racing a restore consistently: the restore completes, the deleted row is gone', async () => {
    const t = await startServer();
    const a = await editor(t, 'race');
    await edit(a, (doc) => doc.getMap('shapes').set('x', 1));
    const saved = (await api(t, 'POST', '/api/sessions/race/snapshots')).body.id;
    await edit(a, (doc) => doc.getMap('shapes').set('y', 2));
    // The pre-restore row is announced once committed; delete it while the restore is still finishing.
    const deleted = nextEvent<[{ id: number }]>(t.server.snapshots, 'snapshot', (meta) => meta.id > saved).then(([meta]) =>
      api(t, 'DELETE', `/api/sessions/race/snapshots/${meta.id}`),
    );
    const [restored, deleteAnswer] = await Promise.all([api(t, 'POST', `/api/sessions/race/snapshots/${saved}/restore`), deleted]);
    expect(restored.status).toBe(200);
    expect(deleteAnswer.status).toBe(204);
    await docMatches(a.document, () => !a.document.getMap('shapes').has('y'));
    expect((await api(t, 'GET', `/api/sessions/race/snapshots/${restored.body.preRestoreSnapshotId}`)).status).toBe(404);
    // Deleting the snapshot being restored from, at the same time, is just as safe.
    const both = await Promise.all([
      api(t, 'POST', `/api/sessions/race/snapshots/${saved}/restore`),
      api(t, 'DELETE', `/api/sessions/race/snapshots/${saved}`),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(expect.arrayContaining([204]));
    expect([200, 404]).toContain(both[0].status);
  });

  it('takes automatic snapshots while documents load and unload over and over, without a failure', async () => {
    const t = await startServer({ SNAPSHOT_INTERVAL_MS: '10' });
    const holds = async (id: number, key: string) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, (await t.server.snapshots.get('churn', id)).state);
      return doc.getMap('shapes').has(key);
    };
    for (let round = 0; round < 8; round += 1) {
      const a = await editor(t, 'churn');
      // The interval or the last leave (whichever comes first; the other is then a duplicate)
      // stores this round's shape. Listening before the edit: the interval may be quicker than `edit`.
      const stored = withTimeout(
        new Promise<void>((resolve) => {
          const check = (meta: { id: number }) =>
            void holds(meta.id, `r${round}`).then((yes) => {
              if (!yes) return;
              t.server.snapshots.off('snapshot', check);
              resolve();
            });
          t.server.snapshots.on('snapshot', check);
        }),
        5_000,
        `a snapshot holding r${round}`,
      );
      await edit(a, (doc) => doc.getMap('shapes').set(`r${round}`, round));
      a.destroy();
      await stored;
    }
    expect(t.logs.filter((l) => l.level === 50 || l.msg === 'automatic snapshot failed')).toEqual([]);
    const list = await api(t, 'GET', '/api/sessions/churn/snapshots');
    const newest = await api(t, 'GET', `/api/sessions/churn/snapshots/${list.body[0].id}?format=json`);
    expect(Object.keys(newest.body.shapes).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
  });

  it('restores a board whose last client just left (unload racing the restore), durably across a restart', async () => {
    const t = await startServer({ STORE_DEBOUNCE_MS: '0', STORE_MAX_DEBOUNCE_MS: '0' });
    const first = await editor(t, 'unload');
    await edit(first, (doc) => doc.getMap('shapes').set('x', 1));
    const saved = (await api(t, 'POST', '/api/sessions/unload/snapshots')).body.id;
    first.destroy();
    for (let round = 0; round < 5; round += 1) {
      const a = await editor(t, 'unload');
      expect(a.document.getMap('shapes').toJSON()).toEqual({ x: 1 });
      await edit(a, (doc) => doc.getMap('shapes').set(`y${round}`, round));
      a.destroy();
      // No waiting for the unload: the restore opens the document while it may still be going.
      expect((await api(t, 'POST', `/api/sessions/unload/snapshots/${saved}/restore`)).status).toBe(200);
    }
    await t.stop();
    const again = await startServer({}, { dir: t.dir });
    const b = await editor(again, 'unload');
    expect(b.document.getMap('shapes').toJSON()).toEqual({ x: 1 });
  });

  it('exports yjs through the CLI and round-trips to the same state', async () => {
    const t = await startServer();
    const a = await editor(t, 'rt');
    await edit(a, (doc) => {
      doc.getMap('shapes').set('s', { kind: 'star', label: 'ünï 🎉' });
      doc.getArray('strokes').push([new Uint8Array([1, 2, 3])]);
      doc.getText('title').insert(0, 'Round trip');
    });
    const id = (await api(t, 'POST', '/api/sessions/rt/snapshots')).body.id;
    const file = join(t.dir, 'rt.yjs');
    const env = { DATABASE_PATH: t.databasePath, JWT_SECRET: testSecret, TUTORBOARD_URL: t.baseUrl };
    expect((await runCli(['export', 'rt', String(id), '--format', 'yjs', '--out', file], env)).code).toBe(0);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(readFileSync(file)));
    expect(json(copy)).toBe(json(a.document));
    expect(stateHash(copy)).toBe(stateHash(a.document));
    const viaApi = await api(t, 'GET', `/api/sessions/rt/snapshots/${id}?format=yjs`, { raw: true });
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(viaApi.body))).toBe(true);
  });

  it('with JWT_PUBLIC_KEY only: a clear error against a running server, the database file when none runs', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    void privateKey;
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const t = await startServer({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem });
    const env = { DATABASE_PATH: t.databasePath, JWT_PUBLIC_KEY: pem, TUTORBOARD_URL: t.baseUrl };
    const online = await runCli(['list', 'pk'], env);
    expect(online.code).toBe(1);
    expect(online.stderr).toMatch(/cannot mint an admin token: JWT_PUBLIC_KEY can only verify/);
    expect(online.stderr.trim().split('\n')).toHaveLength(1);

    await t.stop();
    const offline = await runCli(['list', 'pk'], { ...env, TUTORBOARD_URL: await deadUrl() });
    expect(offline.stderr).toMatch(/no server at .*; working on .* directly/);
    // Nothing is known about the session in the file: not found, not a signing error.
    expect(offline.code).toBe(4);
  });
});
