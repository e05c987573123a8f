import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { api, board, edit, editor } from './helpers.ts';
import { docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { documentToJSON } from '../../src/documentContent.ts';
import { stateHash } from '../../src/stateHash.ts';
import { SnapshotStore } from '../../src/storage/SnapshotStore.ts';
import type { SqliteStore } from '../../src/storage/SqliteStore.ts';

function drawLesson(doc: Y.Doc): void {
  const shapes = doc.getMap('shapes');
  shapes.set('circle', { kind: 'circle', x: 10, y: 10, r: 5 });
  shapes.set('square', { kind: 'rect', x: 40, y: 10, w: 20, h: 20 });
  doc.getArray('strokes').push(['stroke-1', 'stroke-2']);
  doc.getText('title').insert(0, 'Fractions');
}

function wipeAndScribble(doc: Y.Doc): void {
  doc.getMap('shapes').clear();
  doc.getMap('shapes').set('scribble', { kind: 'path', d: 'M0 0 L100 100' });
  doc.getArray('strokes').delete(0, 2);
  doc.getArray('strokes').push(['wild-stroke']);
  doc.getText('title').delete(0, 9);
  doc.getText('title').insert(0, 'lol');
}

const lesson = {
  shapes: { circle: { kind: 'circle', x: 10, y: 10, r: 5 }, square: { kind: 'rect', x: 40, y: 10, w: 20, h: 20 } },
  strokes: ['stroke-1', 'stroke-2'],
  title: 'Fractions',
};

describe('restoring a whiteboard', () => {
  it('converges two connected providers on the snapshot (Map, Array, Text) and is undoable', async () => {
    const t = await startServer();
    const tutor = await editor(t, 'live');
    const student = await editor(t, 'live', new Y.Doc(), 'student-1');
    await edit(tutor, drawLesson);
    await docMatches(student.document, () => student.document.getText('title').toString() === 'Fractions');
    const saved = await api(t, 'POST', '/api/sessions/live/snapshots', { body: { label: 'lesson' } });

    await edit(student, wipeAndScribble);
    await docMatches(tutor.document, () => tutor.document.getText('title').toString() === 'lol');
    const wiped = board(tutor.document);

    const restored = await api(t, 'POST', `/api/sessions/live/snapshots/${saved.body.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body.restoredFrom).toBe(saved.body.id);
    const preRestoreId = restored.body.preRestoreSnapshotId;
    expect(preRestoreId).toBeGreaterThan(saved.body.id);

    const matches = (doc: Y.Doc) => () => JSON.stringify(board(doc)) === JSON.stringify(lesson);
    await Promise.all([docMatches(tutor.document, matches(tutor.document), 1_000), docMatches(student.document, matches(student.document), 1_000)]);

    const list = await api(t, 'GET', '/api/sessions/live/snapshots');
    const pre = list.body.find((s: { id: number }) => s.id === preRestoreId);
    expect(pre).toMatchObject({ reason: 'pre-restore', createdBy: 'admin-1' });
    const preContent = await api(t, 'GET', `/api/sessions/live/snapshots/${preRestoreId}?format=json`);
    expect(preContent.body).toEqual(wiped);

    // Undo: restore the pre-restore snapshot.
    const undo = await api(t, 'POST', `/api/sessions/live/snapshots/${preRestoreId}/restore`);
    expect(undo.status).toBe(200);
    const isWiped = (doc: Y.Doc) => () => JSON.stringify(board(doc)) === JSON.stringify(wiped);
    await Promise.all([docMatches(tutor.document, isWiped(tutor.document), 1_000), docMatches(student.document, isWiped(student.document), 1_000)]);
  });

  it('an offline provider holding the old content converges on the restore when it reconnects', async () => {
    const t = await startServer();
    const tutor = await editor(t, 'offline');
    await edit(tutor, drawLesson);
    const saved = await api(t, 'POST', '/api/sessions/offline/snapshots');
    await edit(tutor, wipeAndScribble);

    // The student saw the scribbles, then went offline keeping its Y.Doc.
    const studentDoc = new Y.Doc();
    const before = await editor(t, 'offline', studentDoc, 'student-1');
    expect(board(studentDoc).title).toBe('lol');
    before.destroy();

    expect((await api(t, 'POST', `/api/sessions/offline/snapshots/${saved.body.id}/restore`)).status).toBe(200);
    await docMatches(tutor.document, () => JSON.stringify(board(tutor.document)) === JSON.stringify(lesson), 1_000);
    expect(board(studentDoc).title).toBe('lol');

    // Back online with the same Y.Doc: its stale scribbles must not come back.
    const again = newProvider({ url: t.whiteboardUrl('offline'), name: 'offline', token: t.token({ sub: 'student-1', sid: 'offline' }), document: studentDoc });
    await synced(again);
    await docMatches(studentDoc, () => JSON.stringify(board(studentDoc)) === JSON.stringify(lesson), 1_000);
    // …and the server did not get them back either.
    expect(board(tutor.document)).toEqual(lesson);
    expect(documentToJSON(t.server.hocuspocus.documents.get('offline')!)).toEqual(lesson);
  });

  it('restores a document nobody has open, durably', async () => {
    const first = await startServer();
    const tutor = await editor(first, 'idle');
    await edit(tutor, drawLesson);
    const saved = await api(first, 'POST', '/api/sessions/idle/snapshots');
    await edit(tutor, wipeAndScribble);
    tutor.destroy();
    await first.stop();
    const t = await startServer({}, { dir: first.dir });
    expect((await api(t, 'POST', `/api/sessions/idle/snapshots/${saved.body.id}/restore`)).status).toBe(200);
    const reader = await editor(t, 'idle');
    expect(board(reader.document)).toEqual(lesson);
  });

  it('tells the tutor room of the session about a restore', async () => {
    const t = await startServer();
    const tutor = await editor(t, 'room');
    await edit(tutor, drawLesson);
    const saved = await api(t, 'POST', '/api/sessions/room/snapshots');
    const { socket } = await tutorSocket(t.tutorUrl('room', { token: t.token({ sub: 'student-1', sid: 'room' }) }));
    expect((await api(t, 'POST', `/api/sessions/room/snapshots/${saved.body.id}/restore`)).status).toBe(200);
    const message = await socket.nextOfType('whiteboard.restored');
    expect(message).toMatchObject({ type: 'whiteboard.restored', snapshotId: saved.body.id, by: 'admin-1' });
  });

  it('a restore that cannot be applied changes nothing and leaves no pre-restore snapshot', async () => {
    const t = await startServer();
    const tutor = await editor(t, 'clash');
    await edit(tutor, drawLesson);
    // A snapshot in which "shapes" is a text: Yjs cannot turn the live map into one.
    const odd = new Y.Doc();
    odd.getText('shapes').insert(0, 'not a map');
    const { snapshot } = new SnapshotStore((t.server.store as SqliteStore).db).create({
      sessionId: 'clash',
      reason: 'manual',
      createdBy: 'test',
      state: Y.encodeStateAsUpdate(odd),
      contentHash: stateHash(odd),
    });
    const failed = await api(t, 'POST', `/api/sessions/clash/snapshots/${snapshot.id}/restore`);
    expect(failed.status).toBe(409);
    expect(failed.body.error.code).toBe('restore_conflict');
    expect((await api(t, 'GET', '/api/sessions/clash/snapshots')).body.map((s: { id: number }) => s.id)).toEqual([snapshot.id]);
    expect(board(tutor.document)).toEqual(lesson);
    expect(documentToJSON(t.server.hocuspocus.documents.get('clash')!)).toEqual(lesson);
  });
});
