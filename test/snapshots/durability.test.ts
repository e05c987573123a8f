import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { board } from './helpers.ts';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, testSecret } from '../utils/server.ts';
import { Authenticator } from '../../src/auth.ts';

describe('restore durability', () => {
  it('kill -9 right after a restore keeps the restored content', async () => {
    const dir = tempDir();
    // Compaction pushed far away: only the update log can carry the restore across the crash.
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' };
    const signer = new Authenticator({ secret: testSecret });
    const admin = signer.sign({ sub: 'support-1', sid: 'crash-restore', role: 'admin' }, 600);
    const child = await spawnServer(env);
    const base = `http://127.0.0.1:${child.port}/api/sessions/crash-restore/snapshots`;
    const headers = { Authorization: `Bearer ${admin}` };
    const provider = newProvider({
      url: `ws://127.0.0.1:${child.port}/ws/v2/session/crash-restore/whiteboard`,
      name: 'crash-restore',
      token: signer.sign({ sub: 'tutor', sid: 'crash-restore', role: 'tutor' }, 600),
    });
    await synced(provider);
    const doc = provider.document;
    doc.transact(() => {
      for (let i = 0; i < 50; i += 1) doc.getMap('shapes').set(`shape-${i}`, { x: i });
      doc.getArray('strokes').push(['a', 'b']);
      doc.getText('title').insert(0, 'Geometry');
    });
    await acknowledged(provider);
    const saved = (await (await fetch(base, { method: 'POST', headers })).json()) as { id: number };
    doc.transact(() => {
      doc.getMap('shapes').clear();
      doc.getArray('strokes').delete(0, 2);
      doc.getText('title').delete(0, 8);
      doc.getText('title').insert(0, 'wiped');
    });
    await acknowledged(provider);

    const restored = await fetch(`${base}/${saved.id}/restore`, { method: 'POST', headers });
    expect(restored.status).toBe(200);
    child.child.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    provider.destroy();

    const t = await startServer({ DATABASE_PATH: env.DATABASE_PATH });
    const reader = newProvider({ url: t.whiteboardUrl('crash-restore'), name: 'crash-restore', token: t.token({ sid: 'crash-restore' }) });
    await synced(reader);
    await docMatches(reader.document, () => board(reader.document).title === 'Geometry');
    expect(reader.document.getMap('shapes').size).toBe(50);
    expect(board(reader.document).strokes).toEqual(['a', 'b']);
  });
});
