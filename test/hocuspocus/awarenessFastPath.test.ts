/**
 * Incoming awareness without a scratch Y.Doc (src/hocuspocus/installAwarenessFastPath.ts): the
 * same states reach the hooks (minus the scratch entry), the same states end up in the
 * document, and `onAwarenessUpdate` (which extension-redis publishes from) gets the same
 * payloads as with stock Hocuspocus, frame for frame. Compared by running one sequence of frames
 * through a Hocuspocus with the fast path and one without.
 */
import { Hocuspocus, IncomingMessage, MessageReceiver, type Document, type Extension, type onAwarenessUpdatePayload } from '@hocuspocus/server';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { decodeAwarenessUpdate, DecodedAwarenessStates, encodeAwarenessUpdate } from '../../src/hocuspocus/awarenessEntries.ts';
import { installAwarenessFastPath, uninstallAwarenessFastPath } from '../../src/hocuspocus/installAwarenessFastPath.ts';
import { assertUpstreamCode, sourceHash, UpstreamChangedError } from '../../src/hocuspocus/upstreamCode.ts';

type Entry = [clientId: number, clock: number, state: Record<string, unknown> | null];

function update(entries: Entry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const [id, clock, state] of entries) {
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}

/** A server-side awareness frame as MessageReceiver reads it (routing key already consumed). */
function frame(entries: Entry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint8Array(encoder, update(entries));
  return encoding.toUint8Array(encoder);
}

/** What stock Hocuspocus hands the hooks: a scratch Awareness's states without its own entry. */
function scratchStates(bytes: Uint8Array): Map<number, unknown> {
  const doc = new Y.Doc();
  const scratch = new Awareness(doc);
  applyAwarenessUpdate(scratch, bytes, null);
  const states = new Map(scratch.getStates());
  states.delete(doc.clientID);
  scratch.destroy();
  doc.destroy();
  return states;
}

const sequences: Entry[][][] = [
  [[[1, 1, { cursor: { x: 1 } }]]],
  [[[1, 1, { a: 1 }], [2, 3, { b: 2 }]], [[1, 2, { a: 2 }]], [[2, 3, { b: 'same clock' }]], [[2, 4, { b: 3 }]]],
  // A removal, a stale clock, clock 0, the same client twice in one frame (higher clock wins).
  [[[5, 2, { x: 1 }]], [[5, 3, null]], [[5, 1, { stale: true }]], [[6, 0, { zero: true }]], [[7, 1, { first: 1 }], [7, 4, { last: 4 }], [7, 2, { middle: 2 }]]],
  [[[8, 1, { x: 1 }], [8, 1, null]], [[9, 2, {}]]],
];

describe('awareness entries without an Awareness', () => {
  it.each(sequences.flat().map((entries) => [JSON.stringify(entries), entries] as const))('decodes %s as a scratch Awareness would', (_, entries) => {
    const bytes = update(entries);
    expect(new Map(decodeAwarenessUpdate(bytes))).toEqual(scratchStates(bytes));
  });

  it('encodes back what it decoded, with each entry at its clock', () => {
    const bytes = update([[3, 7, { a: 1 }], [4, 2, { b: [1, 2] }]]);
    const states = decodeAwarenessUpdate(bytes);
    expect(scratchStates(encodeAwarenessUpdate(states))).toEqual(scratchStates(bytes));
  });

  it('refuses to encode a client id a hook added without a clock, as stock Hocuspocus does', () => {
    const states = decodeAwarenessUpdate(update([[3, 1, { a: 1 }]]));
    states.set(99, { injected: true });
    expect(() => encodeAwarenessUpdate(states)).toThrow(TypeError);
  });
});

interface Observed {
  hookStates: Array<Map<number, unknown>>;
  payloads: Array<Pick<onAwarenessUpdatePayload, 'added' | 'updated' | 'removed' | 'states'>>;
  final: Map<number, unknown>;
}

/** Feeds every frame of `sequence` through MessageReceiver (the path Redis and sockets take). */
async function observe(sequence: Entry[][], rewrite?: (states: Map<number, Record<string, unknown>>) => void): Promise<Observed> {
  const observed: Observed = { hookStates: [], payloads: [], final: new Map() };
  let recording = true;
  const spy: Extension = {
    async beforeHandleAwareness({ states }) {
      rewrite?.(states);
      observed.hookStates.push(states instanceof DecodedAwarenessStates ? new DecodedAwarenessStates(states) : new Map(states));
    },
    async onAwarenessUpdate({ added, updated, removed, states }) {
      // Not the document's own removal when it unloads (its client id is random).
      if (recording) observed.payloads.push({ added, updated, removed, states });
    },
  };
  const hocuspocus = new Hocuspocus({ quiet: true, extensions: [spy] });
  const connection = await hocuspocus.openDirectConnection('board');
  const document = connection.document as Document;
  for (const entries of sequence) await new MessageReceiver(new IncomingMessage(frame(entries)), { source: 'local' }).apply(document);
  observed.final = new Map(document.awareness.getStates());
  recording = false;
  await connection.disconnect();
  return observed;
}

function withoutScratch(maps: Array<Map<number, unknown>>): Array<Map<number, unknown>> {
  // Stock Hocuspocus's first entry is the scratch Awareness's own empty state.
  return maps.map((map) => new Map([...map].slice(map instanceof DecodedAwarenessStates ? 0 : 1)));
}

describe('the fast path against stock Hocuspocus', () => {
  afterEach(() => uninstallAwarenessFastPath());

  it.each(sequences.map((s, i) => [i, s] as const))('sequence %i: same hook states, same onAwarenessUpdate payloads, same document states', async (_, sequence) => {
    uninstallAwarenessFastPath();
    const stock = await observe(sequence);
    installAwarenessFastPath();
    const fast = await observe(sequence);
    expect(withoutScratch(fast.hookStates)).toEqual(withoutScratch(stock.hookStates));
    expect(fast.payloads).toEqual(stock.payloads);
    expect(fast.final).toEqual(stock.final);
  });

  it('applies what the hooks rewrote: a changed field, a dropped entry', async () => {
    const rewrite = (states: Map<number, Record<string, unknown>>) => {
      states.delete(2);
      const one = states.get(1);
      if (one) one.name = 'rewritten';
    };
    const sequence: Entry[][] = [[[1, 1, { name: 'original' }], [2, 1, { name: 'dropped' }]]];
    uninstallAwarenessFastPath();
    const stock = await observe(sequence, rewrite);
    installAwarenessFastPath();
    const fast = await observe(sequence, rewrite);
    expect(fast.final.get(1)).toEqual({ name: 'rewritten' });
    expect(fast.final.has(2)).toBe(false);
    expect(fast.final).toEqual(stock.final);
    expect(fast.payloads).toEqual(stock.payloads);
  });

  it('hands the hooks a DecodedAwarenessStates (no scratch entry), and builds no Y.Doc per frame', async () => {
    installAwarenessFastPath();
    const fast = await observe([[[1, 1, { a: 1 }]]]);
    expect(new Map(fast.hookStates[0])).toEqual(new Map([[1, { a: 1 }]]));
    expect(fast.hookStates[0]).toBeInstanceOf(DecodedAwarenessStates);
    // Stock Hocuspocus destroys its scratch Y.Doc after every frame: count Y.Doc destructions.
    const scratchDocs = async () => {
      const hocuspocus = new Hocuspocus({ quiet: true });
      const connection = await hocuspocus.openDirectConnection('count');
      const document = connection.document as Document;
      let destroyed = 0;
      const original = Y.Doc.prototype.destroy;
      Y.Doc.prototype.destroy = function destroy(this: Y.Doc) {
        destroyed += 1;
        return original.call(this);
      };
      try {
        for (let i = 1; i <= 20; i += 1) await new MessageReceiver(new IncomingMessage(frame([[1, i, { i }]])), { source: 'local' }).apply(document);
      } finally {
        Y.Doc.prototype.destroy = original;
      }
      await connection.disconnect();
      return destroyed;
    };
    expect(await scratchDocs()).toBe(0);
    uninstallAwarenessFastPath();
    expect(await scratchDocs()).toBe(20);
  });

  it('is idempotent and refuses an upstream method it was not written for', () => {
    installAwarenessFastPath();
    const installed = MessageReceiver.prototype.apply;
    installAwarenessFastPath();
    expect(MessageReceiver.prototype.apply).toBe(installed);
    const changed = async function apply() {
      return 'a different upstream implementation';
    };
    expect(() => assertUpstreamCode('MessageReceiver.prototype.apply', changed, sourceHash(installed))).toThrow(UpstreamChangedError);
    expect(() => assertUpstreamCode('x', changed, sourceHash(changed))).not.toThrow();
  });
});
