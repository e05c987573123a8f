import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { DocumentEvents } from '../utils/documentEvents.ts';

async function storedKeys(t: Awaited<ReturnType<typeof startServer>>, name: string): Promise<string[]> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, (await t.server.persistence.read(name))!);
  return [...doc.getMap('shapes').keys()];
}

describe('edits sent right before a close', () => {
  it('every one of 200 edits made just before destroy() is stored (a student draws and closes the tab)', async () => {
    const events = new DocumentEvents();
    const t = await startServer({}, { extensions: [events] });
    for (let round = 0; round < 3; round += 1) {
      const name = `tab-close-${round}`;
      const provider = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sid: name }) });
      await synced(provider);
      await acknowledged(provider);
      const shapes = provider.document.getMap('shapes');
      for (let i = 0; i < 200; i += 1) shapes.set(`s${i}`, { x: i });
      const unloaded = events.unloaded(name);
      // Same tick: the frames are on the wire (or in the socket buffer), the close follows them.
      provider.configuration.websocketProvider.destroy();
      provider.destroy();
      await unloaded;
      const keys = await storedKeys(t, name);
      expect(keys.length, `round ${round}`).toBe(200);
    }
  });
});
