/**
 * `whenSaved(provider)`: resolves once every change the document had when it was called is
 * durable on the tutorboard server. Works with `HocuspocusProvider` (v3 and v4); no other
 * dependency, for browsers and Node alike.
 *
 * Why not `provider.unsyncedChanges === 0`: the provider resets that counter to 1 on every
 * (re)connect while updates it queued offline are still sent and acknowledged one by one, so
 * it reaches 0 after the first of them. Here the server answers a `save` request only when
 * every update the client sent before it is committed, and after a reconnect only once the
 * client's sync (which carries everything it has) is committed too; a request lost with a
 * connection is sent again on the next one.
 */
import { parseSaveReply } from '../whiteboard/saveProtocol.ts';

/** The parts of a HocuspocusProvider this needs. */
export interface SaveableProvider {
  readonly isSynced: boolean;
  sendStateless(payload: string): void;
  /** v4 with `flushDelay` batches updates; they are sent before the request. */
  flushPendingUpdates?(): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export interface WhenSavedOptions {
  /**
   * Give up after this long (offline, storage failing), in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
}

export interface SavedReceipt {
  /** The server's state vector when it answered (a Yjs state vector). */
  stateVector: Uint8Array;
}

/** The server will not store this connection's changes (`read_only`, `board_too_large`…). */
export class SaveRefusedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SaveRefusedError';
    this.code = code;
  }
}

let counter = 0;

export function whenSaved(provider: SaveableProvider, options: WhenSavedOptions = {}): Promise<SavedReceipt> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<SavedReceipt>((resolve, reject) => {
    let id = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const request = () => {
      id = `save-${Date.now().toString(36)}-${(counter += 1)}`;
      provider.flushPendingUpdates?.();
      provider.sendStateless(JSON.stringify({ type: 'save', id }));
    };
    const onStateless = ({ payload }: { payload: string }) => {
      const reply = parseSaveReply(payload);
      if (!reply) return;
      if (reply.type === 'refused') finish(new SaveRefusedError(reply.code, reply.message));
      else if (reply.id !== id) return;
      else if (reply.type === 'saved') finish(undefined, { stateVector: fromBase64(reply.stateVector) });
      // Storage failing is passing: the connection closes, and the next one asks again.
      else if (reply.code !== 'storage_unavailable') finish(new SaveRefusedError(reply.code, reply.message));
    };
    // A request is answered on the connection that carried it; after a reconnect ask again.
    const onSynced = () => request();
    const finish = (error?: Error, receipt?: SavedReceipt) => {
      clearTimeout(timer);
      provider.off('stateless', onStateless);
      provider.off('synced', onSynced);
      if (error) reject(error);
      else resolve(receipt!);
    };
    provider.on('stateless', onStateless);
    provider.on('synced', onSynced);
    timer = setTimeout(() => finish(new Error(`not saved within ${timeoutMs} ms (offline, or the server cannot store)`)), timeoutMs);
    if (provider.isSynced) request();
  });
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
