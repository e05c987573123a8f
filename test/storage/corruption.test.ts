import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { documentLoadFailedReason } from '../../extensions/Persistence.ts';
import { acknowledged, authenticationFailed, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';

describe('a document whose stored bytes are corrupt', () => {
  it('fails to load with a clear log line, leaves its rows intact, and other sessions keep working', async () => {
    const first = await startServer();
    for (const name of ['broken', 'healthy']) {
      const p = newProvider({ url: first.whiteboardUrl(name), name, token: first.token({ sid: name }) });
      await synced(p);
      p.document.getText('t').insert(0, `content of ${name}`);
      await acknowledged(p);
      p.destroy();
    }
    await first.stop();

    const db = new Database(first.databasePath);
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
    db.prepare("INSERT INTO document_updates (document_name, data, created_at) VALUES ('broken', ?, 0)").run(garbage);
    const before = db.prepare("SELECT id, data FROM document_updates WHERE document_name = 'broken' ORDER BY id").all();
    const stateBefore = db.prepare("SELECT state FROM documents WHERE name = 'broken'").get();
    db.close();

    const t = await startServer({}, { dir: first.dir });
    const broken = newProvider({ url: t.whiteboardUrl('broken'), name: 'broken', token: t.token({ sid: 'broken' }) });
    expect(await authenticationFailed(broken)).toBe(documentLoadFailedReason);
    expect(t.server.hocuspocus.documents.has('broken')).toBe(false);
    expect(t.logs.find((l) => l.msg === 'document load failed; stored rows left untouched')).toMatchObject({ documentName: 'broken', level: 'error' });

    const healthy = newProvider({ url: t.whiteboardUrl('healthy'), name: 'healthy', token: t.token({ sid: 'healthy' }) });
    await synced(healthy);
    expect(healthy.document.getText('t').toString()).toBe('content of healthy');
    healthy.document.getText('t').insert(0, 'still writable: ');
    await acknowledged(healthy);
    await t.stop();

    const after = new Database(first.databasePath);
    expect(after.prepare("SELECT id, data FROM document_updates WHERE document_name = 'broken' ORDER BY id").all()).toEqual(before);
    expect(after.prepare("SELECT state FROM documents WHERE name = 'broken'").get()).toEqual(stateBefore);
    after.close();
  });
});
