/**
 * What works on SQLite works on PostgreSQL, through the real server and CLI: compaction (admin
 * flush), load failure on corrupt rows, a restart keeping the board, and the snapshot CLI both
 * against a live server (routed through its lease) and offline on the database itself.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { documentLoadFailedReason } from '../../extensions/Persistence.ts';
import { call, adminToken } from '../ops/helpers.ts';
import { deadUrl, runCli } from '../snapshots/helpers.ts';
import { createTestDatabase } from '../utils/postgres.ts';
import { acknowledged, authenticationFailed, docMatches, newProvider } from '../utils/provider.ts';
import { startServer, testSecret } from '../utils/server.ts';
import { editor } from './helpers.ts';

describe('PostgreSQL: the features of the SQLite store', () => {
  it('flush compacts (log trimmed, state stored), and a restarted server loads the board', async () => {
    const database = await createTestDatabase();
    const t = await startServer({ DATABASE_URL: database.url, STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' });
    const ada = await editor(t, 'flush');
    for (let i = 0; i < 40; i += 1) ada.document.getMap('shapes').set(`s${i}`, i);
    await acknowledged(ada);
    expect((await t.server.store.pending('flush')).updates).toBeGreaterThan(0);
    const flushed = await call(t, 'POST', '/api/sessions/flush/flush', { token: adminToken(t) });
    expect(flushed.body).toMatchObject({ flushed: true, document: { unsavedUpdates: 0 } });
    const [row] = await database.query<{ written_by: string }>('SELECT written_by FROM documents WHERE name = $1', ['flush']);
    expect(row.written_by).toBe(t.server.config.instanceId);
    ada.destroy();
    await t.stop();

    const again = await startServer({ DATABASE_URL: database.url });
    const reader = await editor(again, 'flush');
    expect(reader.document.getMap('shapes').size).toBe(40);
  });

  it('a board with a corrupt row fails to load with document-load-failed and its rows stay untouched', async () => {
    const database = await createTestDatabase();
    const t = await startServer({ DATABASE_URL: database.url });
    const ada = await editor(t, 'broken');
    ada.document.getText('t').insert(0, 'content');
    await acknowledged(ada);
    ada.destroy();
    await t.stop();
    await database.query("INSERT INTO document_updates (document_name, instance_id, data, created_at) VALUES ('broken', 'x', $1, 0)", [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]),
    ]);
    const before = await database.query('SELECT id, data FROM document_updates WHERE document_name = $1 ORDER BY id', ['broken']);

    const again = await startServer({ DATABASE_URL: database.url });
    const broken = newProvider({ url: again.whiteboardUrl('broken'), name: 'broken', token: again.token({ sid: 'broken' }) });
    expect(await authenticationFailed(broken)).toBe(documentLoadFailedReason);
    broken.destroy();
    await again.stop();
    expect(await database.query('SELECT id, data FROM document_updates WHERE document_name = $1 ORDER BY id', ['broken'])).toEqual(before);
  });

  it('the snapshot CLI goes to the live server it finds in the leases, and works on the database when none runs', async () => {
    const database = await createTestDatabase();
    const t = await startServer({ DATABASE_URL: database.url });
    const ada = await editor(t, 'cli');
    ada.document.getMap('shapes').set('one', 1);
    await acknowledged(ada);
    // TUTORBOARD_URL points nowhere: the CLI finds the server through its lease in PostgreSQL.
    const env = { DATABASE_URL: database.url, JWT_SECRET: testSecret, TUTORBOARD_URL: await deadUrl() };
    const created = await runCli(['create', 'cli', '--label', 'live', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const live = JSON.parse(created.stdout);
    ada.document.getMap('shapes').set('two', 2);
    await acknowledged(ada);
    const restored = await runCli(['restore', 'cli', String(live.id), '--json'], env);
    expect(restored.code, restored.stderr).toBe(0);
    await docMatches(ada.document, () => !ada.document.getMap('shapes').has('two'));
    expect(ada.document.getMap('shapes').toJSON()).toEqual({ one: 1 });
    ada.destroy();
    await t.stop();

    // No server now: the CLI opens PostgreSQL itself, runs the same restore code, and the next server sees it.
    const offline = await runCli(['create', 'cli', '--label', 'offline', '--json'], env);
    expect(offline.code, offline.stderr).toBe(0);
    const listed = await runCli(['list', 'cli', '--json'], env);
    expect(JSON.parse(listed.stdout).map((s: { label: string }) => s.label)).toEqual(expect.arrayContaining(['live', 'offline']));
    const first = JSON.parse(listed.stdout).find((s: { reason: string }) => s.reason === 'pre-restore');
    expect((await runCli(['restore', 'cli', String(first.id)], env)).code).toBe(0);
    const next = await startServer({ DATABASE_URL: database.url });
    const reader = await editor(next, 'cli');
    expect(reader.document.getMap('shapes').toJSON()).toEqual({ one: 1, two: 2 });
    expect(Y.encodeStateAsUpdate(reader.document).byteLength).toBeGreaterThan(0);
  });
});
