import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Persistence } from '../../extensions/Persistence.ts';
import { SqliteStore } from '../../src/storage/SqliteStore.ts';
import { tempDir } from '../utils/server.ts';

describe('Persistence.flush', () => {
  it('skips a document that is still loading instead of storing its empty state over the stored one', async () => {
    const store = new SqliteStore(join(tempDir(), 'db.sqlite'));
    try {
      const persistence = new Persistence({ store });
      const stored = new Y.Doc();
      stored.getText('t').insert(0, 'compacted content');
      await persistence.flush('board', stored);
      const before = store.loadSync('board').state;

      // What Hocuspocus lists between creating a document and reading its rows.
      const loading = Object.assign(new Y.Doc(), { isLoading: true });
      await persistence.flush('board', loading);
      expect(store.loadSync('board').state).toEqual(before);

      const read = new Y.Doc();
      Y.applyUpdate(read, (await persistence.read('board'))!);
      expect(read.getText('t').toString()).toBe('compacted content');
    } finally {
      store.closeSync();
    }
  });
});
