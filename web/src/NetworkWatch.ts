/**
 * Browsers do not close open WebSockets when they go offline: a socket just stops carrying data
 * until some timeout notices. The page listens to `offline`/`online` instead, so that the state it
 * shows is true at once and reconnecting starts as soon as the network is back:
 * - the whiteboard provider is disconnected and reconnected through its own API;
 * - the tutor channel's sockets are closed (the client then reconnects with `?since=` and gets
 *   what it missed); `TutorChannelClient` takes a WebSocket class, so the page hands it one whose
 *   instances it can find.
 */
import type { HocuspocusProvider } from '@hocuspocus/provider';

/** Close code the page uses for "the browser went offline" (application range). */
export const offlineCloseCode = 4001;

export class NetworkWatch {
  private readonly sockets = new Set<WebSocket>();
  private readonly abort = new AbortController();
  private provider: HocuspocusProvider | undefined;
  private mayReconnect: () => boolean = () => true;

  /** A WebSocket class for TutorChannelClient whose open sockets this watch can close. */
  readonly WebSocket: typeof WebSocket;

  constructor() {
    const sockets = this.sockets;
    this.WebSocket = class TrackedWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.add(this);
        this.addEventListener('close', () => sockets.delete(this));
      }
    };
    window.addEventListener('offline', () => this.offline(), { signal: this.abort.signal });
    window.addEventListener('online', () => this.online(), { signal: this.abort.signal });
  }

  /** `mayReconnect` false (e.g. after a refusal) keeps the provider down when the network returns. */
  watchProvider(provider: HocuspocusProvider, mayReconnect: () => boolean): void {
    this.provider = provider;
    this.mayReconnect = mayReconnect;
  }

  destroy(): void {
    this.abort.abort();
    this.sockets.clear();
  }

  private offline(): void {
    this.provider?.configuration.websocketProvider.disconnect();
    for (const socket of this.sockets) {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(offlineCloseCode, 'browser offline');
    }
  }

  private online(): void {
    if (this.mayReconnect()) void this.provider?.configuration.websocketProvider.connect();
  }
}
