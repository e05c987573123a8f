/**
 * Join answers encoded once (src/hocuspocus/SyncReplyCache.ts, installSyncReplyCache.ts): the
 * same bytes as stock Hocuspocus while the board is unchanged, complete answers (cached answer +
 * the changes since) when it changed, large answers spread over loop turns (TurnBudget).
 */
import { Hocuspocus, IncomingMessage, MessageReceiver, type Document } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SyncReplyCache } from '../../src/hocuspocus/SyncReplyCache.ts';
import { installSyncReplyCache, uninstallSyncReplyCache } from '../../src/hocuspocus/installSyncReplyCache.ts';
import { TurnBudget } from '../../src/hocuspocus/TurnBudget.ts';
import { SyncReplySeed } from '../../extensions/SyncReplySeed.ts';

function board(shapes: number): Y.Doc {
  const doc = new Y.Doc();
  for (let i = 0; i < shapes; i += 1) doc.getMap('shapes').set(`s${i}`, { x: i, label: `shape ${i}` });
  return doc;
}

/** Applies answer frames (routing key, Sync, step, update) to a fresh document. */
function receive(frames: Uint8Array[], doc = new Y.Doc()): Y.Doc {
  for (const frame of frames) {
    const decoder = decoding.createDecoder(frame);
    decoding.readVarString(decoder);
    expect(decoding.readVarUint(decoder)).toBe(0);
    expect([1, 2]).toContain(decoding.readVarUint(decoder));
    Y.applyUpdate(doc, decoding.readVarUint8Array(decoder));
  }
  return doc;
}

const emptyVector: Uint8Array = new Uint8Array([0]);

describe('SyncReplyCache', () => {
  it('encodes once per state vector and routing key while the document is unchanged', () => {
    const doc = board(200);
    const cache = new SyncReplyCache();
    const first = cache.frames(doc, 'b', emptyVector);
    expect(cache.frames(doc, 'b', emptyVector)[0]).toBe(first[0]);
    expect(first).toHaveLength(1);
    expect(receive(first).getMap('shapes').toJSON()).toEqual(doc.getMap('shapes').toJSON());
    const other = cache.frames(doc, 'b\u0000session', emptyVector);
    expect(other[0]).not.toBe(first[0]);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('answers a changed document with the cached encode plus the changes since, complete', () => {
    const doc = board(50);
    const earlier = Y.encodeStateAsUpdate(doc);
    for (let i = 50; i < 200; i += 1) doc.getMap('shapes').set(`s${i}`, { x: i });
    const cache = new SyncReplyCache();
    const before = cache.frames(doc, 'b', emptyVector);
    doc.getMap('shapes').set('late', { x: -1 });
    doc.getMap('shapes').delete('s3');
    const after = cache.frames(doc, 'b', emptyVector);
    expect(after[0]).toBe(before[0]);
    expect(after).toHaveLength(2);
    expect(receive(after).getMap('shapes').toJSON()).toEqual(doc.getMap('shapes').toJSON());
    // A client that already has part of the board gets what it lacks, changes included.
    const partial = new Y.Doc();
    Y.applyUpdate(partial, earlier);
    const answer = cache.frames(doc, 'b', Y.encodeStateVector(partial));
    expect(receive(answer, partial).getMap('shapes').toJSON()).toEqual(doc.getMap('shapes').toJSON());
    cache.clear();
  });

  it('encodes afresh once the changes outgrow the bound, and forgets a destroyed document', () => {
    const doc = board(50);
    const cache = new SyncReplyCache({ maxTailBytes: 100 });
    const before = cache.frames(doc, 'b', emptyVector);
    for (let i = 0; i < 20; i += 1) doc.getMap('shapes').set(`late${i}`, { x: i, label: 'a label long enough to add up' });
    const after = cache.frames(doc, 'b', emptyVector);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect(receive(after).getMap('shapes').toJSON()).toEqual(doc.getMap('shapes').toJSON());
    doc.destroy();
    expect(cache.size).toBe(0);
  });
});

describe('SyncReplySeed', () => {
  it("takes an update applied to an empty document as the cached answer, the document's later changes as its tail", async () => {
    const cache = new SyncReplyCache();
    const doc = new Y.Doc();
    await new SyncReplySeed({ cache }).onLoadDocument({ document: doc } as never);
    let emitted: Uint8Array | undefined;
    doc.on('update', (u: Uint8Array) => (emitted ??= u));
    // As Persistence loads a board: the stored state in one transaction into the new document.
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(board(300)));
    const first = cache.frames(doc, 'b', emptyVector);
    const decoder = decoding.createDecoder(first[0]);
    decoding.readVarString(decoder);
    decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
    expect(decoding.readVarUint8Array(decoder)).toEqual(emitted);
    doc.getMap('shapes').set('after-load', { x: 1 });
    const later = cache.frames(doc, 'b', emptyVector);
    expect(later).toHaveLength(2);
    expect(receive(later).getMap('shapes').toJSON()).toEqual(doc.getMap('shapes').toJSON());
    // A board whose first client asked while it was still empty: the answer to that goes.
    const fresh = new Y.Doc();
    await new SyncReplySeed({ cache }).onLoadDocument({ document: fresh } as never);
    expect(receive(cache.frames(fresh, 'b', emptyVector)).getMap('shapes').size).toBe(0);
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(board(100)));
    const pasted = cache.frames(fresh, 'b', emptyVector);
    expect(pasted).toHaveLength(1);
    expect(receive(pasted).getMap('shapes').size).toBe(100);
    // A document that had content before is not seeded by its next update.
    const other = new Y.Doc();
    await new SyncReplySeed({ cache }).onLoadDocument({ document: other } as never);
    other.getMap('shapes').set('a', 1);
    cache.clear();
    other.getMap('shapes').set('b', 2);
    expect(cache.size).toBe(0);
    cache.clear();
  });
});

describe('TurnBudget', () => {
  it('lets through what fits this turn, at least one, and the rest in later turns, in order', async () => {
    const budget = new TurnBudget(4);
    let turn = 0;
    const order: Array<[string, number]> = [];
    const ticking = (async () => {
      for (let i = 0; i < 6; i += 1) await new Promise((resolve) => setImmediate(resolve)).then(() => (turn += 1));
    })();
    await Promise.all(
      (['a', 'b', 'c', 'd'] as const).map((name, i) => budget.take([3, 3, 1, 5][i]).then(() => void order.push([name, turn]))),
    );
    await ticking;
    // a (3) now; b (3) does not fit with a: next turn, with c (1); d (5, more than a turn) alone after.
    expect(order.map(([name]) => name)).toEqual(['a', 'b', 'c', 'd']);
    expect(order[1][1]).toBeGreaterThan(order[0][1]);
    expect(order[2][1]).toBe(order[1][1]);
    expect(order[3][1]).toBeGreaterThan(order[2][1]);
    budget.dispose();
  });
});

/** A sync step 1 frame as MessageReceiver reads it (routing key already consumed). */
function syncStep1(stateVector: Uint8Array = emptyVector): IncomingMessage {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, 'board');
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint8Array(encoder, stateVector);
  const message = new IncomingMessage(encoding.toUint8Array(encoder));
  message.writeVarString(message.readVarString());
  return message;
}

async function answers(document: Document, stateVector?: Uint8Array): Promise<Uint8Array[]> {
  const replies: Uint8Array[] = [];
  await new MessageReceiver(syncStep1(stateVector), { source: 'redis' }).apply(document, undefined, (reply) => void replies.push(reply));
  return replies;
}

describe('sync step 1 through the cache, against stock Hocuspocus', () => {
  afterEach(() => uninstallSyncReplyCache());

  it('replies with the same bytes, in the same order, as stock Hocuspocus for an unchanged board', async () => {
    const hocuspocus = new Hocuspocus({ quiet: true });
    const connection = await hocuspocus.openDirectConnection('board');
    const document = connection.document as Document;
    Y.applyUpdate(document, Y.encodeStateAsUpdate(board(300)));
    const partial = Y.encodeStateVector(board(20));
    uninstallSyncReplyCache();
    const stock = [await answers(document), await answers(document, partial)];
    installSyncReplyCache();
    const cached = [await answers(document), await answers(document, partial), await answers(document)];
    expect(cached.slice(0, 2)).toEqual(stock);
    expect(cached[2]).toEqual(stock[0]);
    await connection.disconnect();
  });
});
