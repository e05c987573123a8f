/**
 * A student draws and closes the tab at once, on PostgreSQL: each append is a network round trip
 * (grouped), so the close arrives while frames still wait for their commit. Every frame that
 * reached the server before the close must still be stored, on one instance and in a cluster.
 */
import { describe, expect, it } from 'vitest';
import { DocumentEvents } from '../utils/documentEvents.ts';
import { createTestDatabase } from '../utils/postgres.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { startCluster, storedDocument } from './helpers.ts';

async function drawAndClose(url: string, name: string, token: string, events: DocumentEvents): Promise<void> {
  const provider = newProvider({ url, name, token });
  await synced(provider);
  await acknowledged(provider);
  const shapes = provider.document.getMap('shapes');
  for (let i = 0; i < 200; i += 1) shapes.set(`s${i}`, { x: i });
  const unloaded = events.unloaded(name);
  // Same tick: the frames are on the wire (or in the socket buffer), the close follows them.
  provider.configuration.websocketProvider.destroy();
  provider.destroy();
  await unloaded;
}

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
