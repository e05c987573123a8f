/**
 * Awareness broadcasts batched over a window of their own, document updates still every tick.
 *
 * Hocuspocus 4.7 batches a document's outgoing updates and awareness together (`flushDelay`,
 * default 0: one loop turn). Cursors are most of a classroom's traffic and grow with the square
 * of the room: 30 clients moving theirs 5 times a second are 150 awareness changes per second,
 * each sent to 30 sockets. Collected over a short window (`windowMs`), each client's latest
 * state goes out once per window in one message per socket, so the sends per room no longer
 * grow with how often cursors move; updates are not delayed by it.
 *
 * Replaces `Document.prototype.handleAwarenessUpdate` for documents given a window with
 * `setAwarenessWindow` (others keep the upstream method); the bookkeeping of which connection
 * owns which client id is the upstream code's, kept as is. Removals (a connection closing)
 * go through the same window. Pending awareness also goes out with the next document update
 * (`broadcastUpdate`): on a board someone draws on, most cursors ride along with the strokes.
 * `destroy()` sends what is pending first and stops the timer.
 * The upstream change is in docs/upstream/awareness-flush-delay.patch.
 */
import { Document, isTransactionOrigin, type Connection } from '@hocuspocus/server';
import { assertUpstreamCode } from './upstreamCode.ts';

/** `Document.prototype.handleAwarenessUpdate` and `broadcastAwarenessUpdate` of @hocuspocus/server 4.7.0. */
const upstreamHashes = { handleAwarenessUpdate: 'a31d375d4124c467', broadcastAwarenessUpdate: 'b53010b7cec36287', broadcastUpdate: '81abb8b1ea044bae' };

const installed = Symbol.for('tutorboard.awarenessWindow');
const windowKey = Symbol('awarenessWindowMs');
const pendingKey = Symbol('awarenessPending');

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

interface Pending {
  clients: Set<number>;
  timer: NodeJS.Timeout;
}

/** The private members of Document this relies on (checked by source hash at install). */
interface WindowedDocument {
  flushDelay: false | number;
  isDestroyed: boolean;
  connections: Map<Connection, { clients: Set<number> }>;
  broadcastAwarenessUpdate(clients: number[]): void;
  broadcastUpdate(update: Uint8Array): void;
  handleAwarenessUpdate(change: AwarenessChange, origin: unknown): unknown;
  destroy(): void;
  [windowKey]?: number;
  [pendingKey]?: Pending;
}

type Upstream = Pick<WindowedDocument, 'handleAwarenessUpdate' | 'broadcastUpdate' | 'destroy'>;

/** Replaces the method on Document's prototype; idempotent. Throws if the upstream code changed. */
export function installAwarenessWindow(): void {
  const prototype = Document.prototype as unknown as WindowedDocument & { [installed]?: Upstream };
  if (prototype[installed]) return;
  assertUpstreamCode('Document.prototype.handleAwarenessUpdate', prototype.handleAwarenessUpdate, upstreamHashes.handleAwarenessUpdate);
  assertUpstreamCode('Document.prototype.broadcastAwarenessUpdate', prototype.broadcastAwarenessUpdate, upstreamHashes.broadcastAwarenessUpdate);
  assertUpstreamCode('Document.prototype.broadcastUpdate', prototype.broadcastUpdate, upstreamHashes.broadcastUpdate);
  const upstream: Upstream = { handleAwarenessUpdate: prototype.handleAwarenessUpdate, broadcastUpdate: prototype.broadcastUpdate, destroy: prototype.destroy };
  prototype[installed] = upstream;

  prototype.handleAwarenessUpdate = function handleAwarenessUpdate(this: WindowedDocument, change: AwarenessChange, origin: unknown) {
    const windowMs = this[windowKey];
    if (windowMs === undefined || this.flushDelay === false) return upstream.handleAwarenessUpdate.call(this, change, origin);
    const { added, updated, removed } = change;
    // As upstream: the client ids a connection introduces are its own (removed on close).
    const originConnection = isTransactionOrigin(origin) && origin.source === 'connection' ? origin.connection : null;
    if (originConnection !== null) {
      const entry = this.connections.get(originConnection);
      if (entry) {
        for (const clientId of added) entry.clients.add(clientId);
        for (const clientId of removed) entry.clients.delete(clientId);
      }
    }
    let pending = this[pendingKey];
    if (!pending) {
      const timer = setTimeout(() => flushAwareness(this), windowMs);
      timer.unref();
      pending = { clients: new Set(), timer };
      this[pendingKey] = pending;
    }
    for (const clientId of added) pending.clients.add(clientId);
    for (const clientId of updated) pending.clients.add(clientId);
    for (const clientId of removed) pending.clients.add(clientId);
    return this;
  };

  // Pending awareness rides along with a document update: the same turn, so each socket gets
  // both in one write (SendCoalescer), and the window's own send is saved.
  prototype.broadcastUpdate = function broadcastUpdate(this: WindowedDocument, update: Uint8Array) {
    upstream.broadcastUpdate.call(this, update);
    flushAwareness(this);
  };

  prototype.destroy = function destroy(this: WindowedDocument) {
    flushAwareness(this);
    return upstream.destroy.call(this);
  };
}

/** Puts the upstream methods back (for tests that compare both). */
export function uninstallAwarenessWindow(): void {
  const prototype = Document.prototype as unknown as WindowedDocument & { [installed]?: Upstream };
  const upstream = prototype[installed];
  if (!upstream) return;
  prototype.handleAwarenessUpdate = upstream.handleAwarenessUpdate;
  prototype.broadcastUpdate = upstream.broadcastUpdate;
  prototype.destroy = upstream.destroy;
  delete prototype[installed];
}

/**
 * Batches this document's outgoing awareness over `windowMs` from now on (0 or undefined: the
 * upstream behaviour, with the document's updates every tick). Needs `installAwarenessWindow()`.
 */
export function setAwarenessWindow(document: Document, windowMs: number | undefined): void {
  const windowed = document as unknown as WindowedDocument;
  if (!windowMs) {
    flushAwareness(windowed);
    delete windowed[windowKey];
  } else {
    windowed[windowKey] = windowMs;
  }
}

/** Sends the pending awareness of `document` now; idempotent. */
function flushAwareness(document: WindowedDocument): void {
  const pending = document[pendingKey];
  if (!pending) return;
  clearTimeout(pending.timer);
  document[pendingKey] = undefined;
  if (!document.isDestroyed && pending.clients.size > 0) document.broadcastAwarenessUpdate([...pending.clients]);
}
