/**
 * Incoming awareness frames without a scratch Y.Doc.
 *
 * Hocuspocus 4.7 (`MessageReceiver.apply`) decodes every awareness frame into a new `Y.Doc` +
 * `Awareness` so that `beforeHandleAwareness` hooks see a `Map<clientId, state>`, re-encodes
 * that map and applies it to the document. The Y.Doc constructor draws a random uuid and client
 * id (≈30 `crypto.getRandomValues` calls) and the Awareness starts and stops an interval timer:
 * in a classroom (cursors of 30 clients, several times a second) that was a quarter of the
 * server's busy CPU. Here the frame is decoded straight into the same map
 * (awarenessEntries.ts), the same hooks run on it, and the re-encoded update is applied to the
 * document's awareness with the same origin, so `onAwarenessUpdate` (and extension-redis,
 * which publishes from it) fires exactly as before. Every other message type goes to the
 * upstream code unchanged. The upstream change is in docs/upstream/awareness-without-scratch-doc.patch.
 *
 * One difference, on purpose: the hooks' map has no scratch entry (stock Hocuspocus's first
 * entry is the scratch Awareness's own empty state at clock 0, which receivers ignore). It is a
 * `DecodedAwarenessStates`, so hooks can tell.
 */
import { MessageReceiver, MessageType, type Connection, type Document } from '@hocuspocus/server';
import { applyAwarenessUpdate } from 'y-protocols/awareness';
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from './awarenessEntries.ts';
import { assertUpstreamCode } from './upstreamCode.ts';

/** `MessageReceiver.prototype.apply` of @hocuspocus/server 4.7.0. */
const upstreamApplyHash = '77bb294e73148ffa';

const installed = Symbol.for('tutorboard.awarenessFastPath');

type Apply = MessageReceiver['apply'];

/** Replaces awareness handling in every Hocuspocus of this process; idempotent. */
export function installAwarenessFastPath(): void {
  const prototype = MessageReceiver.prototype as MessageReceiver & { [installed]?: Apply };
  if (prototype[installed]) return;
  const upstreamApply = prototype.apply;
  assertUpstreamCode('MessageReceiver.prototype.apply', upstreamApply, upstreamApplyHash);
  prototype[installed] = upstreamApply;
  prototype.apply = function apply(this: MessageReceiver, document, connection, reply) {
    const { message } = this;
    const start = message.decoder.pos;
    if (message.readVarUint() !== MessageType.Awareness) {
      message.decoder.pos = start;
      return upstreamApply.call(this, document, connection, reply);
    }
    const origin = connection ? { source: 'connection' as const, connection } : (this.defaultTransactionOrigin ?? { source: 'local' as const });
    return applyAwareness(message.readVarUint8Array(), document, origin);
  };
}

/** Puts the upstream method back (for tests that compare both). */
export function uninstallAwarenessFastPath(): void {
  const prototype = MessageReceiver.prototype as MessageReceiver & { [installed]?: Apply };
  const upstreamApply = prototype[installed];
  if (!upstreamApply) return;
  prototype.apply = upstreamApply;
  delete prototype[installed];
}

async function applyAwareness(update: Uint8Array, document: Document, origin: { source: 'connection'; connection: Connection } | object): Promise<void> {
  const states = decodeAwarenessUpdate(update);
  await document.callbacks.beforeHandleAwareness(document, states, origin);
  applyAwarenessUpdate(document.awareness, encodeAwarenessUpdate(states), origin);
}
