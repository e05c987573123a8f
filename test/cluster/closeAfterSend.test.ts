/**
 * A student draws and closes the tab at once, on PostgreSQL: each append is a network round trip
 * (grouped), so the close arrives while frames still wait for their commit. Every frame that
 * reached the server before the close must still be stored, on one instance and in a cluster.
 */
import { describe, expect, it } from 'vitest';
import { DocumentEvents } from '../utils/documentEvents.ts';
import { createTestDatabase } from '../utils/postgres.ts';
import { drawAndClose } from '../utils/drawAndClose.ts';
import { newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { startCluster, storedDocument } from './helpers.ts';

describe('edits sent right before a close, on PostgreSQL', () => {
  it('every one of 200 edits is stored (one instance)', async () => {
    const database = await createTestDatabase();
    const events = new DocumentEvents();
    const t = await startServer({ DATABASE_URL: database.url }, { extensions: [events] });
    for (let round = 0; round < 3; round += 1) {
      const name = `tab-close-${round}`;
      await drawAndClose(t.whiteboardUrl(name), name, t.token({ sid: name }), events);
      expect((await storedDocument(database, name)).getMap('shapes').size, `round ${round}`).toBe(200);
    }
  });

  it('every one of 200 edits is stored when the board is open on another instance too', async () => {
    const events = new DocumentEvents();
    const { instances, database } = await startCluster(1);
    const [a] = instances;
    const b = await startServer({ DATABASE_URL: database.url, REDIS_URL: instances[0].server.config.redisUrl!, INSTANCE_ID: 'b' }, { extensions: [events] });
    const watcher = newProvider({ url: a.whiteboardUrl('shared'), name: 'shared', token: a.token({ sid: 'shared' }) });
    await synced(watcher);
    await drawAndClose(b.whiteboardUrl('shared'), 'shared', b.token({ sid: 'shared' }), events);
    expect((await storedDocument(database, 'shared')).getMap('shapes').size).toBe(200);
  });
});
