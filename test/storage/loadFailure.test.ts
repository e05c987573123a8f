import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { documentLoadFailedReason } from '../../extensions/Persistence.ts';
import { acknowledged, authenticationFailed, newProvider, synced } from '../utils/provider.ts';
import { startServer, type TestServer } from '../utils/server.ts';

async function write(t: TestServer, name: string, text: string): Promise<void> {
  const p = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sid: name }) });
  await synced(p);
  p.document.getText('t').insert(0, text);
  await acknowledged(p);
  p.destroy();
}

function rows(path: string, name: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      state: db.prepare('SELECT state FROM documents WHERE name = ?').get(name) as { state: Buffer } | undefined,
      log: db.prepare('SELECT id, data FROM document_updates WHERE document_name = ? ORDER BY id').all(name),
    };
  } finally {
    db.close();
  }
}

describe('a load that fails never turns into an empty document', () => {
  it('a corrupt compacted state row: refused on every attempt, rows untouched, the repaired row loads', async () => {
    const first = await startServer();
    await write(first, 'board', 'the compacted content');
    await first.stop();
    const good = rows(first.databasePath, 'board');
    expect(good.state).toBeDefined();

    const db = new Database(first.databasePath);
    db.prepare("UPDATE documents SET state = ? WHERE name = 'board'").run(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]));
    db.close();
    const corrupt = rows(first.databasePath, 'board');

    const t = await startServer({}, { dir: first.dir });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const p = newProvider({ url: t.whiteboardUrl('board'), name: 'board', token: t.token({ sid: 'board' }) });
      expect(await authenticationFailed(p)).toBe(documentLoadFailedReason);
      expect(t.server.hocuspocus.documents.has('board')).toBe(false);
      p.destroy();
    }
    await t.stop();
    expect(rows(first.databasePath, 'board')).toEqual(corrupt);

    const repair = new Database(first.databasePath);
    repair.prepare("UPDATE documents SET state = ? WHERE name = 'board'").run(good.state!.state);
    repair.close();
    const again = await startServer({}, { dir: first.dir });
    const reader = newProvider({ url: again.whiteboardUrl('board'), name: 'board', token: again.token({ sid: 'board' }) });
    await synced(reader);
    expect(reader.document.getText('t').toString()).toBe('the compacted content');
  });

  it('the database locked by another process while a document loads: content served, rows intact', async () => {
    const first = await startServer();
    await write(first, 'locked', 'written before the lock');
    await first.stop();
    const before = rows(first.databasePath, 'locked');

    const t = await startServer({}, { dir: first.dir });
    const other = new Database(first.databasePath);
    other.prepare('BEGIN EXCLUSIVE').run();
    try {
      // WAL mode: a writer holding the lock does not keep this server from reading the rows.
      const p = newProvider({ url: t.whiteboardUrl('locked'), name: 'locked', token: t.token({ sid: 'locked' }) });
      await synced(p);
      expect(p.document.getText('t').toString()).toBe('written before the lock');
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    await t.stop();
    // Only a compaction of the same content may have happened: the text is what a reader gets.
    expect(rows(first.databasePath, 'locked').log.length).toBeLessThanOrEqual(before.log.length);
    const after = await startServer({}, { dir: first.dir });
    const reader = newProvider({ url: after.whiteboardUrl('locked'), name: 'locked', token: after.token({ sid: 'locked' }) });
    await synced(reader);
    expect(reader.document.getText('t').toString()).toBe('written before the lock');
  });
});
