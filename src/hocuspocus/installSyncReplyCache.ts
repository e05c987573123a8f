/**
 * Answers to sync step 1 (a client asking for what it lacks) encoded once per join burst and
 * sent a few megabytes per loop turn.
 *
 * Hocuspocus 4.7 (`MessageReceiver.readSyncMessage`) encodes the answer from the Y.Doc for every
 * client, and every answer of a burst goes out in the same loop turn: 30 joiners of a 1 MB board
 * blocked the loop for ≈400 ms, of a 5 MB board for seconds. Here the answer comes from a
 * SyncReplyCache (one encode per state vector, reused with the changes since appended as one
 * update), and answers of 64 KiB or more wait for their turn in a TurnBudget (4 MiB per turn)
 * before they are sent.
 * Everything else about the message is upstream's: the `beforeSync` hook first, our own sync
 * step 1 sent before the step 2, the same routing key, `reply` for extension-redis. Other sync
 * messages go to the upstream method unchanged. The upstream change is in
 * docs/upstream/sync-reply-cache.patch.
 */
import { MessageReceiver, OutgoingMessage, type Connection, type Document } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import { SyncReplyCache } from './SyncReplyCache.ts';
import { TurnBudget } from './TurnBudget.ts';
import { assertUpstreamCode } from './upstreamCode.ts';

/** `MessageReceiver.prototype.readSyncMessage` of @hocuspocus/server 4.7.0. */
const upstreamHash = '8faa0a7e89aad3d7';

/** y-protocols' sync step 1 (its constant, repeated: `messageYjsSyncStep1`). */
const syncStep1 = 0 as const;
/** Answers at least this large take turns. */
const largeReplyBytes = 64 * 1024;
const bytesPerTurn = 4 * 1024 * 1024;

const installed = Symbol.for('tutorboard.syncReplyCache');

type ReadSyncMessage = MessageReceiver['readSyncMessage'];

export interface SyncReplies {
  cache: SyncReplyCache;
  budget: TurnBudget;
}

let replies: SyncReplies | undefined;

/** Replaces sync step 1 handling in every Hocuspocus of this process; idempotent. Returns the shared cache and budget. */
export function installSyncReplyCache(): SyncReplies {
  const prototype = MessageReceiver.prototype as MessageReceiver & { [installed]?: ReadSyncMessage };
  if (prototype[installed] && replies) return replies;
  const upstream = prototype.readSyncMessage;
  assertUpstreamCode('MessageReceiver.prototype.readSyncMessage', upstream, upstreamHash);
  const shared: SyncReplies = { cache: new SyncReplyCache(), budget: new TurnBudget(bytesPerTurn) };
  replies = shared;
  prototype[installed] = upstream;
  prototype.readSyncMessage = function readSyncMessage(this: MessageReceiver, message, document, connection, reply, requestFirstSync = true) {
    const start = message.decoder.pos;
    if (message.readVarUint() !== syncStep1) {
      message.decoder.pos = start;
      return upstream.call(this, message, document, connection, reply, requestFirstSync);
    }
    return answerSyncStep1(shared, message.decoder, () => message.peekVarUint8Array(), document, connection, reply, requestFirstSync);
  };
  return shared;
}

/** Puts the upstream method back and drops the cache (for tests that compare both). */
export function uninstallSyncReplyCache(): void {
  const prototype = MessageReceiver.prototype as MessageReceiver & { [installed]?: ReadSyncMessage };
  const upstream = prototype[installed];
  if (!upstream) return;
  prototype.readSyncMessage = upstream;
  delete prototype[installed];
  replies?.cache.clear();
  replies?.budget.dispose();
  replies = undefined;
}

async function answerSyncStep1(
  { cache, budget }: SyncReplies,
  decoder: decoding.Decoder,
  payload: () => Uint8Array,
  document: Document,
  connection: Connection | undefined,
  reply: ((message: Uint8Array) => void) | undefined,
  requestFirstSync: boolean,
): Promise<typeof syncStep1> {
  const messageAddress = connection?.messageAddress ?? document.name;
  if (connection) await connection.callbacks.beforeSync(connection, { type: syncStep1, payload: payload() });
  const stateVector = decoding.readVarUint8Array(decoder);
  // Encoded now, sent maybe a few turns later: changes in between reach this connection as
  // broadcasts (it is registered already), and Yjs applies the two in either order.
  const frames = cache.frames(document, messageAddress, stateVector);
  const bytes = frames.reduce((sum, f) => sum + f.byteLength, 0);
  if (bytes >= largeReplyBytes) await budget.take(bytes);
  // As upstream: our own sync step 1 first (the client answers it with what we lack), then the step 2.
  if (reply && requestFirstSync) reply(new OutgoingMessage(messageAddress).createSyncReplyMessage().writeFirstSyncStepFor(document).toUint8Array());
  else if (connection) connection.send(new OutgoingMessage(messageAddress).createSyncMessage().writeFirstSyncStepFor(document).toUint8Array());
  for (const frame of frames) {
    if (reply) reply(frame);
    else connection?.send(frame);
  }
  return syncStep1;
}
