import { describe, expect, it } from 'vitest';
import { acknowledged, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { adminToken, call } from '../ops/helpers.ts';

describe('compaction interleaved with writes', () => {
  it('after many compactions and a restart the content equals the providers\' and the log stays trimmed', async () => {
    // A short debounce makes Hocuspocus compact on its own between the explicit flushes.
    const t = await startServer({ STORE_DEBOUNCE_MS: '5', STORE_MAX_DEBOUNCE_MS: '20' });
    const url = t.whiteboardUrl('cp');
    const a = newProvider({ url, name: 'cp', token: t.token({ sub: 'a', sid: 'cp' }) });
    const b = newProvider({ url, name: 'cp', token: t.token({ sub: 'b', sid: 'cp' }) });
    await Promise.all([synced(a), synced(b)]);
    const pendingAfterFlush: number[] = [];
    for (let round = 0; round < 30; round += 1) {
      for (let i = 0; i < 10; i += 1) {
        a.document.getMap('shapes').set(`a-${round}-${i}`, { round, i });
        b.document.getArray('strokes').push([`b-${round}-${i}`]);
      }
      if (round % 3 === 0) a.document.getMap('shapes').delete(`a-${round}-0`);
      // Writes still in flight while the compaction runs: only the first provider waits.
      await acknowledged(a);
      expect((await call(t, 'POST', '/api/sessions/cp/flush', { token: adminToken(t) })).status).toBe(200);
      pendingAfterFlush.push((await t.server.store.pending('cp')).updates);
    }
    await Promise.all([acknowledged(a), acknowledged(b)]);
    expect((await call(t, 'POST', '/api/sessions/cp/flush', { token: adminToken(t) })).status).toBe(200);
    expect(await t.server.store.pending('cp')).toEqual({ updates: 0, bytes: 0 });
    // Each flush trims everything it covers: what is left is at most the second provider's
    // updates still arriving, never the accumulated history (600+ appends).
    expect(Math.max(...pendingAfterFlush)).toBeLessThan(60);
    const expected = { shapes: a.document.getMap('shapes').toJSON(), strokes: b.document.getArray('strokes').toJSON() };
    expect(Object.keys(expected.shapes)).toHaveLength(290);
    expect(expected.strokes).toHaveLength(300);
    await docMatches(b.document, () => JSON.stringify(b.document.getMap('shapes').toJSON()) === JSON.stringify(expected.shapes));
    await t.stop();

    const again = await startServer({}, { dir: t.dir });
    const reader = newProvider({ url: again.whiteboardUrl('cp'), name: 'cp', token: again.token({ sid: 'cp' }) });
    await synced(reader);
    expect(reader.document.getMap('shapes').toJSON()).toEqual(expected.shapes);
    expect(reader.document.getArray('strokes').toJSON()).toEqual(expected.strokes);
  });
});
