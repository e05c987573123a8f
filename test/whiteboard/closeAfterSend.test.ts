import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { drawAndClose } from '../utils/drawAndClose.ts';
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
      await drawAndClose(t.whiteboardUrl(name), name, t.token({ sid: name }), events);
      const keys = await storedKeys(t, name);
      expect(keys.length, `round ${round}`).toBe(200);
    }
  });
});
