/**
 * `online`/`offline` events for the client. Browsers keep WebSockets open while offline (the
 * socket just stops carrying data until some timeout notices), so the client listens to the
 * network itself: `window` in a browser by default, any `NetworkEvents` target when given.
 */
import type { NetworkEvents } from './TutorChannelClientOptions.ts';

/** Listens on `target` (`undefined`: `globalThis.window` when there is one; `false`: nowhere); returns the unsubscribe. */
export function watchNetwork(target: NetworkEvents | false | undefined, handlers: { offline: () => void; online: () => void }): () => void {
  const network = target === false ? undefined : (target ?? browserWindow());
  if (!network) return () => {};
  network.addEventListener('offline', handlers.offline);
  network.addEventListener('online', handlers.online);
  return () => {
    network.removeEventListener('offline', handlers.offline);
    network.removeEventListener('online', handlers.online);
  };
}

function browserWindow(): NetworkEvents | undefined {
  const candidate = (globalThis as { window?: Partial<NetworkEvents> }).window;
  return typeof candidate?.addEventListener === 'function' && typeof candidate.removeEventListener === 'function'
    ? (candidate as NetworkEvents)
    : undefined;
}
