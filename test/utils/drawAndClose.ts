/**
 * A student draws and closes the tab: a synced provider makes 200 edits and destroys its socket
 * in the same tick, so the frames are on the wire (or in the socket buffer) when the close
 * follows them. Resolves once the server has unloaded the board.
 */
import type { DocumentEvents } from './documentEvents.ts';
import { acknowledged, newProvider, synced } from './provider.ts';

export const editsBeforeClose = 200;

export async function drawAndClose(url: string, name: string, token: string, events: DocumentEvents): Promise<void> {
  const provider = newProvider({ url, name, token });
  await synced(provider);
  await acknowledged(provider);
  const shapes = provider.document.getMap('shapes');
  for (let i = 0; i < editsBeforeClose; i += 1) shapes.set(`s${i}`, { x: i });
  const unloaded = events.unloaded(name);
  provider.configuration.websocketProvider.destroy();
  provider.destroy();
  await unloaded;
}
