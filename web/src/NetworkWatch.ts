/**
 * Browsers do not close open WebSockets when they go offline: a socket just stops carrying data
 * until some timeout notices. `HocuspocusProvider` does not listen to `offline`/`online`, so the
 * page does it for the whiteboard: it disconnects the provider when the browser goes offline (the
 * state shown is true at once) and connects it again as soon as the network is back.
 * The class channel needs nothing here: `TutorChannelClient` handles both events itself.
 */
import type { HocuspocusProvider } from '@hocuspocus/provider';

export class NetworkWatch {
  private readonly abort = new AbortController();

  /** `mayReconnect` false (e.g. after a refusal) keeps the provider down when the network returns. */
  constructor(provider: HocuspocusProvider, mayReconnect: () => boolean) {
    const socket = provider.configuration.websocketProvider;
    window.addEventListener('offline', () => socket.disconnect(), { signal: this.abort.signal });
    window.addEventListener(
      'online',
      () => {
        if (mayReconnect()) void socket.connect();
      },
      { signal: this.abort.signal },
    );
  }

  destroy(): void {
    this.abort.abort();
  }
}
