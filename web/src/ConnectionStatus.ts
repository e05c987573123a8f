/**
 * The whiteboard's connection state, told honestly:
 *   connecting  before the first sync
 *   synced      connected, and the server has acknowledged every local change
 *   saving      connected, with changes the server has not acknowledged yet
 *   offline     the browser is offline or the connection dropped; edits stay here and merge later
 *   refused     the server refused this user (the reason it gave); no more retries
 */
import type { HocuspocusProvider } from '@hocuspocus/provider';
import { h } from './dom.ts';

export type BoardState = 'connecting' | 'synced' | 'saving' | 'offline' | 'refused';

/** Close codes after which reconnecting cannot help (src/closeCodes.ts: unauthorized, forbidden/kicked). */
const refusingCloseCodes = [4401, 4403];

export class ConnectionStatus {
  readonly element: HTMLElement;
  private readonly provider: HocuspocusProvider;
  private readonly label: HTMLElement;
  private everSynced = false;
  private refusedReason: string | undefined;
  private current: BoardState = 'connecting';
  private readonly listeners = new Set<(state: BoardState) => void>();
  private readonly abort = new AbortController();

  constructor(provider: HocuspocusProvider) {
    this.provider = provider;
    this.label = h('span', { class: 'status-label' });
    this.element = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'status-dot' }), this.label);
    const update = () => this.update();
    for (const event of ['status', 'synced', 'unsyncedChanges', 'disconnect']) provider.on(event, update);
    provider.on('authenticationFailed', ({ reason }: { reason: string }) => this.refuse(reason || 'not allowed'));
    provider.on('close', ({ event }: { event: CloseEvent }) => {
      if (refusingCloseCodes.includes(event.code)) this.refuse(event.reason || `closed with ${event.code}`);
    });
    window.addEventListener('online', update, { signal: this.abort.signal });
    window.addEventListener('offline', update, { signal: this.abort.signal });
    this.update();
  }

  get state(): BoardState {
    return this.current;
  }

  get reason(): string | undefined {
    return this.refusedReason;
  }

  onChange(listener: (state: BoardState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  destroy(): void {
    this.abort.abort();
    this.listeners.clear();
  }

  private refuse(reason: string): void {
    // The provider reports a token function that threw (the server is restarting, the network
    // is gone) as an authentication failure; that is not the server refusing us: try again.
    if (reason.startsWith('Failed to get token')) {
      const socket = this.provider.configuration.websocketProvider;
      socket.disconnect();
      window.setTimeout(() => void socket.connect(), 1000);
      return;
    }
    this.refusedReason = reason;
    // A refusal is final for this token; retrying in a loop would only hide it.
    this.provider.configuration.websocketProvider.disconnect();
    this.update();
  }

  private compute(): BoardState {
    if (this.refusedReason !== undefined) return 'refused';
    if (!navigator.onLine) return 'offline';
    if (!this.provider.isSynced) return this.everSynced ? 'offline' : 'connecting';
    this.everSynced = true;
    return this.provider.unsyncedChanges > 0 ? 'saving' : 'synced';
  }

  private update(): void {
    const state = this.compute();
    const unsaved = this.provider.unsyncedChanges;
    const text: Record<BoardState, string> = {
      connecting: 'Connecting…',
      synced: 'Synced',
      saving: 'Saving…',
      offline: 'Offline',
      refused: `Refused: ${this.refusedReason}`,
    };
    const detail: Record<BoardState, string> = {
      connecting: 'Connecting to the whiteboard',
      synced: 'Every change is saved on the server',
      saving: `${unsaved} change${unsaved === 1 ? '' : 's'} on the way to the server`,
      offline: 'Drawing still works: changes stay in this window and merge when the connection is back',
      refused: 'The server refused this connection; leave and join again',
    };
    this.label.textContent = text[state];
    this.element.title = detail[state];
    this.element.dataset.state = state;
    if (state === this.current) return;
    this.current = state;
    for (const listener of this.listeners) listener(state);
  }
}
