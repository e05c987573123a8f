/**
 * The whiteboard's connection state, told honestly:
 *   connecting  before the first sync
 *   synced      connected, and the server confirmed (a `saved` receipt) that every change is stored
 *   saving      connected, with changes (or a reconnect's offline work) not confirmed stored yet
 *   offline     the browser is offline or the connection dropped; edits stay here and merge later
 *   refused     the server refused this user (the reason it gave); no more retries
 *
 * "Stored" comes from `whenSaved(provider)`, not from `provider.unsyncedChanges`: on every
 * reconnect the provider resets that counter to 1 and it reaches 0 after the first of the
 * updates queued offline is acknowledged, while the rest are still on their way.
 */
import type { HocuspocusProvider } from '@hocuspocus/provider';
import { SaveRefusedError, whenSaved } from 'tutorboard/client';
import { h } from './dom.ts';

export type BoardState = 'connecting' | 'synced' | 'saving' | 'offline' | 'refused';

/** Close codes after which reconnecting cannot help (src/closeCodes.ts: unauthorized, forbidden/kicked). */
const refusingCloseCodes = [4401, 4403];

/** How long one save receipt may take before the page asks again (storage failing, a stuck link). */
const saveTimeoutMs = 30_000;

export interface ConnectionStatusOptions {
  /** Observers: the server stores nothing of theirs, so there is nothing to confirm. */
  readOnly: boolean;
}

export class ConnectionStatus {
  readonly element: HTMLElement;
  private readonly provider: HocuspocusProvider;
  private readonly readOnly: boolean;
  private readonly label: HTMLElement;
  /** Changes (or a reconnect's offline work) not covered by a save receipt asked for yet. */
  private dirty = false;
  /** A save receipt asked for and not answered yet. */
  private saving: Promise<void> | undefined;
  private everSynced = false;
  private refusedReason: string | undefined;
  private current: BoardState = 'connecting';
  private readonly listeners = new Set<(state: BoardState) => void>();
  private readonly abort = new AbortController();

  constructor(provider: HocuspocusProvider, options: ConnectionStatusOptions) {
    this.provider = provider;
    this.readOnly = options.readOnly;
    this.label = h('span', { class: 'status-label' });
    this.element = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'status-dot' }), this.label);
    const update = () => this.update();
    for (const event of ['status', 'disconnect']) provider.on(event, update);
    // After every (re)connect: what this window drew offline may still be on its way.
    provider.on('synced', () => this.changed());
    provider.on('unsyncedChanges', ({ number }: { number: number }) => (number > 0 ? this.changed() : this.update()));
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

  /** Something may not be stored yet: ask the server for a receipt (one at a time). */
  private changed(): void {
    if (!this.readOnly) this.dirty = true;
    this.confirm();
    this.update();
  }

  private confirm(): void {
    if (this.saving || !this.dirty || !this.provider.isSynced || this.refusedReason !== undefined) return;
    // Whatever changes after this request needs a receipt of its own.
    this.dirty = false;
    this.saving = whenSaved(this.provider, { timeoutMs: saveTimeoutMs })
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof SaveRefusedError) this.refuse(error.message);
          else this.dirty = true; // not answered in time: ask again
        },
      )
      .finally(() => {
        this.saving = undefined;
        this.confirm();
        this.update();
      });
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
    return this.saving || this.dirty ? 'saving' : 'synced';
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
      saving: unsaved > 0 ? `${unsaved} change${unsaved === 1 ? '' : 's'} on the way to the server` : 'Waiting for the server to confirm that every change is stored',
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
