import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { api, edit, editor } from './helpers.ts';
import { startServer } from '../utils/server.ts';

describe('snapshot admin API', () => {
  it('creates, lists, shows, exports and deletes snapshots', async () => {
    const t = await startServer();
    const a = await editor(t, 'api-1');
    await edit(a, (doc) => {
      doc.getMap('shapes').set('s1', { kind: 'circle', r: 5 });
      doc.getText('title').insert(0, 'Fractions');
    });
    const created = await api(t, 'POST', '/api/sessions/api-1/snapshots', { body: { label: 'before quiz' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ reason: 'manual', createdBy: 'admin-1', label: 'before quiz' });
    expect(created.body.byteSize).toBeGreaterThan(0);
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);

    const list = await api(t, 'GET', '/api/sessions/api-1/snapshots');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([created.body]);

    const shown = await api(t, 'GET', `/api/sessions/api-1/snapshots/${created.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.summary).toEqual(
      expect.arrayContaining([
        { name: 'shapes', kind: 'map', size: 1 },
        { name: 'title', kind: 'text', size: 9 },
      ]),
    );
    const json = await api(t, 'GET', `/api/sessions/api-1/snapshots/${created.body.id}?format=json`);
    expect(json.body).toEqual({ shapes: { s1: { kind: 'circle', r: 5 } }, title: 'Fractions' });

    const binary = await api(t, 'GET', `/api/sessions/api-1/snapshots/${created.body.id}?format=yjs`, { raw: true });
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    const copy = new Y.Doc();
    Y.applyUpdate(copy, binary.body);
    expect(copy.getText('title').toString()).toBe('Fractions');

    expect((await api(t, 'DELETE', `/api/sessions/api-1/snapshots/${created.body.id}`)).status).toBe(204);
    expect((await api(t, 'GET', `/api/sessions/api-1/snapshots/${created.body.id}`)).status).toBe(404);
    expect((await api(t, 'GET', '/api/sessions/api-1/snapshots')).body).toEqual([]);
  });

  it('snapshots a document that is not loaded, from its stored state', async () => {
    const first = await startServer();
    const a = await editor(first, 'cold');
    await edit(a, (doc) => doc.getArray('strokes').push(['line']));
    a.destroy();
    await first.stop();
    const t = await startServer({}, { dir: first.dir });
    const created = await api(t, 'POST', '/api/sessions/cold/snapshots');
    expect(created.status).toBe(201);
    expect(t.server.hocuspocus.documents.has('cold')).toBe(false);
    const json = await api(t, 'GET', `/api/sessions/cold/snapshots/${created.body.id}?format=json`);
    expect(json.body).toEqual({ strokes: ['line'] });
  });

  it('refuses missing, non-admin and wrong-session tokens', async () => {
    const t = await startServer();
    const a = await editor(t, 'guarded');
    await edit(a, (doc) => doc.getMap('shapes').set('s', 1));
    const path = '/api/sessions/guarded/snapshots';
    expect((await api(t, 'GET', path, { token: null })).status).toBe(401);
    expect((await api(t, 'POST', path, { token: null })).status).toBe(401);
    expect((await api(t, 'GET', path, { token: 'not-a-jwt' })).status).toBe(401);
    const tutor = t.token({ sid: 'guarded', role: 'tutor' });
    const tutorResponse = await api(t, 'GET', path, { token: tutor });
    expect(tutorResponse.status).toBe(403);
    expect(tutorResponse.body.error.code).toBe('forbidden');
    const otherAdmin = t.token({ sid: 'another-session', role: 'admin' });
    expect((await api(t, 'GET', path, { token: otherAdmin })).status).toBe(403);
    expect((await api(t, 'POST', `${path}/1/restore`, { token: otherAdmin })).status).toBe(403);
    expect((await api(t, 'GET', path, { sessionId: 'guarded' })).status).toBe(200);
  });

  it('answers unknown sessions and snapshots with 404 and malformed input with 400', async () => {
    const t = await startServer();
    const a = await editor(t, 'known');
    await edit(a, (doc) => doc.getMap('shapes').set('s', 1));
    const missing = await api(t, 'GET', '/api/sessions/nobody-here/snapshots');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('session_not_found');
    expect((await api(t, 'POST', '/api/sessions/nobody-here/snapshots')).status).toBe(404);
    expect((await api(t, 'GET', '/api/sessions/known/snapshots/999')).body.error.code).toBe('snapshot_not_found');
    expect((await api(t, 'POST', '/api/sessions/known/snapshots/999/restore')).status).toBe(404);
    expect((await api(t, 'DELETE', '/api/sessions/known/snapshots/999')).status).toBe(404);
    expect((await api(t, 'GET', '/api/sessions/known/snapshots/abc')).status).toBe(400);
    expect((await api(t, 'GET', '/api/sessions/bad%20id!/snapshots')).status).toBe(400);
    expect((await api(t, 'POST', '/api/sessions/known/snapshots', { body: '{not json' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/sessions/known/snapshots', { body: { label: 42 } })).status).toBe(400);
    expect((await api(t, 'POST', '/api/sessions/known/snapshots', { body: [1] })).status).toBe(400);
    const created = await api(t, 'POST', '/api/sessions/known/snapshots');
    expect((await api(t, 'GET', `/api/sessions/known/snapshots/${created.body.id}?format=xml`)).status).toBe(400);
    const wrongMethod = await api(t, 'PUT', '/api/sessions/known/snapshots');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    // A failed restore leaves nothing behind: still exactly one snapshot.
    expect((await api(t, 'GET', '/api/sessions/known/snapshots')).body).toHaveLength(1);
    // Paths that are not ours fall through to the server's 404.
    expect((await api(t, 'GET', '/api/sessions/known/snapshotsx')).body.error.code).toBe('not_found');
  });
});
