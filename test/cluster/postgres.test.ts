/**
 * PostgreSQL under the whiteboard: connection cuts and outages, and snapshots/restore shared by
 * the instances of a cluster.
 */
import { describe, expect, it } from 'vitest';
import { api } from '../snapshots/helpers.ts';
import { whenSaved } from '../../src/client/whenSaved.ts';
import { call, sample, scrape } from '../ops/helpers.ts';
import { acknowledged, docMatches } from '../utils/provider.ts';
import { eventually } from '../utils/waitFor.ts';
import { editor, startCluster, storedDocument } from './helpers.ts';

describe('PostgreSQL faults', () => {
  it('connections cut mid-stream (pg_terminate_backend): nothing acknowledged is lost, the provider resends the rest', async () => {
    const { instances: [a], database } = await startCluster(1);
    const ada = await editor(a, 'cut');
    const shapes = ada.document.getMap('shapes');
    let cuts = 0;
    for (let burst = 0; burst < 8; burst += 1) {
      for (let i = 0; i < 25; i += 1) shapes.set(`b${burst}-${i}`, i);
      // The bursts' appends are in flight or queued when their connections are cut.
      cuts += await database.terminateBackends();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // A receipt, not the provider's unsyncedChanges: that counter restarts on every reconnect.
    await whenSaved(ada, { timeoutMs: 20_000 });
    expect(cuts).toBeGreaterThan(0);
    const stored = await storedDocument(database, 'cut');
    expect(stored.getMap('shapes').size).toBe(200);
    expect(stored.getMap('shapes').toJSON()).toEqual(shapes.toJSON());
  });

  it('while PostgreSQL refuses connections nothing is acknowledged and /ready is 503; afterwards everything is stored', async () => {
    const { instances: [a], database } = await startCluster(1);
    const ada = await editor(a, 'down');
    ada.document.getMap('shapes').set('before', 1);
    await acknowledged(ada);

    await database.allowConnections(false);
    await database.terminateBackends();
    ada.document.getMap('shapes').set('during', 1);
    await eventually(async () => (await call(a, 'GET', '/ready')).status === 503, 15_000, '/ready 503');
    const ready = await call(a, 'GET', '/ready');
    expect(ready.body).toMatchObject({ reason: 'storage_not_writable', storage: { code: expect.any(String) } });
    expect(ada.unsyncedChanges).toBeGreaterThan(0);
    expect(sample(await scrape(a), 'tutorboard_storage_up')).toBe(0);

    await database.allowConnections(true);
    await whenSaved(ada, { timeoutMs: 20_000 });
    await eventually(async () => (await call(a, 'GET', '/ready')).status === 200, 10_000, '/ready 200 again');
    const stored = await storedDocument(database, 'down');
    expect(stored.getMap('shapes').toJSON()).toEqual({ before: 1, during: 1 });
    expect(a.logs.filter((l) => l.event === 'storage_failing')).toHaveLength(1);
  });
});

describe('snapshots in a cluster', () => {
  it('a snapshot taken on one instance is listed on the other, and a restore there reaches clients of both', async () => {
    const { instances: [a, b] } = await startCluster(2);
    const ada = await editor(a, 'lesson', 'ada');
    const sam = await editor(b, 'lesson', 'sam');
    ada.document.getMap('shapes').set('circle', 1);
    await acknowledged(ada);
    await docMatches(sam.document, () => sam.document.getMap('shapes').has('circle'));
    const saved = await api(a, 'POST', '/api/sessions/lesson/snapshots', { body: { label: 'one circle' } });
    expect(saved.status).toBe(201);

    sam.document.getMap('shapes').set('square', 2);
    await docMatches(ada.document, () => ada.document.getMap('shapes').has('square'));
    const listed = await api(b, 'GET', '/api/sessions/lesson/snapshots');
    expect(listed.body.map((s: { id: number }) => s.id)).toContain(saved.body.id);

    const restored = await api(b, 'POST', `/api/sessions/lesson/snapshots/${saved.body.id}/restore`);
    expect(restored).toMatchObject({ status: 200, body: { changed: true } });
    await docMatches(ada.document, () => !ada.document.getMap('shapes').has('square'));
    await docMatches(sam.document, () => !sam.document.getMap('shapes').has('square'));
    expect(ada.document.getMap('shapes').toJSON()).toEqual({ circle: 1 });
  });
});
