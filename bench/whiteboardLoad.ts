/**
 * The whiteboard workload the benchmarks share: `clients` providers each set `updates` keys, one
 * update message per key, and the clock stops when the server has acknowledged them all.
 */
import { HocuspocusProvider } from '@hocuspocus/provider';
import * as Y from 'yjs';

export function waitFor(provider: HocuspocusProvider, done: () => boolean, event: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      provider.off(event, check);
      resolve();
    };
    provider.on(event, check);
    check();
  });
}

export async function acknowledgedUpdates(
  url: string,
  token: string | null,
  clients: number,
  updates: number,
): Promise<{ perSecond: number; ms: number }> {
  const providers = Array.from({ length: clients }, () => new HocuspocusProvider({ url, name: 'bench', token, document: new Y.Doc() }));
  await Promise.all(providers.map((p) => waitFor(p, () => p.isSynced, 'synced')));
  const started = performance.now();
  providers.forEach((p, c) => {
    const shapes = p.document.getMap('shapes');
    for (let i = 0; i < updates; i += 1) shapes.set(`c${c}-${i}`, { x: i, y: c, kind: 'stroke' });
  });
  await Promise.all(providers.map((p) => waitFor(p, () => p.unsyncedChanges === 0, 'unsyncedChanges')));
  const ms = performance.now() - started;
  for (const p of providers) p.destroy();
  return { perSecond: (clients * updates) / (ms / 1000), ms };
}
