/**
 * Outgoing awareness batched per board over AWARENESS_FLUSH_MS (extensions/AwarenessBatching.ts):
 * a burst of cursor moves reaches the others as the latest state, in fewer frames than moves;
 * document updates are not held back by the window; a client that leaves is removed from the
 * others' awareness; onAwarenessUpdate (extension-redis publishes from it) still sees every change.
 */
import { Hocuspocus, IncomingMessage, MessageReceiver, type Document } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { AwarenessBatching } from '../../extensions/AwarenessBatching.ts';
import { MessageType, readHeader } from '../../src/whiteboard/frames.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { authFrame, awarenessFrame, syncStep1Frame, updateFrame } from '../utils/frames.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { until, withTimeout } from '../utils/waitFor.ts';

type Received = { kind: 'update' } | { kind: 'awareness'; states: Map<number, Record<string, unknown> | null> };

/** A raw whiteboard socket that records, in order, the updates and awareness frames it receives. */
async function recorder(t: TestServer, name: string, user: string): Promise<{ ws: WebSocket; received: Received[]; until: (done: () => boolean, what: string) => Promise<void> }> {
  const ws = new WebSocket(t.whiteboardUrl(name));
  registerCleanup(() => ws.terminate());
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  let synced!: () => void;
  const isSynced = new Promise<void>((resolve) => (synced = resolve));
  ws.on('message', (data: Buffer) => {
    const header = readHeader(new Uint8Array(data));
    if (header.type === MessageType.Sync || header.type === MessageType.SyncReply) {
      const step = decoding.readVarUint(header.decoder);
      if (step === 1) synced();
      if (step === 2) received.push({ kind: 'update' });
    } else if (header.type === MessageType.Awareness) {
      // Removals matter here too: read the entries with their null states.
      const update = decoding.readVarUint8Array(header.decoder);
      const decoder = decoding.createDecoder(update);
      const states = new Map<number, Record<string, unknown> | null>();
      for (let n = decoding.readVarUint(decoder); n > 0; n -= 1) {
        const id = decoding.readVarUint(decoder);
        decoding.readVarUint(decoder);
        states.set(id, JSON.parse(decoding.readVarString(decoder)));
      }
      received.push({ kind: 'awareness', states });
    }
    for (const waiter of waiters) waiter();
  });
  await withTimeout(new Promise((resolve) => ws.once('open', resolve)), 5_000, 'socket open');
  ws.send(authFrame(name, t.token({ sub: user, sid: name })));
  ws.send(syncStep1Frame(name));
  await withTimeout(isSynced, 5_000, 'sync');
  const untilReceived = (done: () => boolean, what: string) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!done()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
      5_000,
      what,
    );
  return { ws, received, until: untilReceived };
}

const aboutClient = (r: Received, id: number): r is Extract<Received, { kind: 'awareness' }> => r.kind === 'awareness' && r.states.has(id);

describe('awareness batched per board', () => {
  it('a burst of cursor moves arrives as the latest state in fewer frames; an update sent after it is not held back', async () => {
    const t = await startServer({ AWARENESS_FLUSH_MS: '1000' });
    const watcher = await recorder(t, 'burst', 'watcher');
    const mover = await recorder(t, 'burst', 'mover');
    for (let clock = 1; clock <= 10; clock += 1) mover.ws.send(awarenessFrame('burst', [42], { cursor: { x: clock } }, clock));
    // Every move is applied on the server before the update is even sent...
    const board = t.server.hocuspocus.documents.get('burst')!;
    await until(() => (board.awareness.getStates().get(42) as { cursor?: { x: number } } | undefined)?.cursor?.x === 10, board.awareness as never, 'change');
    const doc = new Y.Doc();
    let update!: Uint8Array;
    doc.on('update', (u: Uint8Array) => (update = u));
    doc.getMap('shapes').set('after-the-burst', { x: 1 });
    mover.ws.send(updateFrame('burst', update));
    const last = (r: Received) => aboutClient(r, 42) && (r.states.get(42) as { cursor: { x: number } }).cursor.x === 10;
    await watcher.until(() => watcher.received.some(last) && watcher.received.some((r) => r.kind === 'update'), 'the update and the last cursor position');
    // ...yet the update reaches the watcher first: the moves wait for their window, updates do not.
    expect(watcher.received.findIndex((r) => r.kind === 'update')).toBeLessThan(watcher.received.findIndex((r) => aboutClient(r, 42)));
    // Ten moves: one frame with the last position (two if a window closed mid-burst), never ten.
    expect(watcher.received.filter((r) => aboutClient(r, 42)).length).toBeLessThanOrEqual(2);
  });

  it('a client that leaves is removed from the others', async () => {
    const t = await startServer();
    const watcher = await recorder(t, 'leave', 'watcher');
    const leaver = await recorder(t, 'leave', 'leaver');
    leaver.ws.send(awarenessFrame('leave', [7], { user: { name: 'Leaver' } }));
    await watcher.until(() => watcher.received.some((r) => aboutClient(r, 7) && r.states.get(7) !== null), 'the leaver present');
    leaver.ws.close();
    await watcher.until(() => watcher.received.some((r) => aboutClient(r, 7) && r.states.get(7) === null), 'the leaver removed');
    expect(t.server.hocuspocus.documents.get('leave')?.awareness.getStates().has(7)).toBe(false);
  });

  it('onAwarenessUpdate still sees every change, as the window only batches what is sent', async () => {
    const changes: number[][] = [];
    const hocuspocus = new Hocuspocus({
      quiet: true,
      extensions: [new AwarenessBatching({ flushMs: 1000 }), { onAwarenessUpdate: async ({ added, updated }) => void changes.push([...added, ...updated]) }],
    });
    const connection = await hocuspocus.openDirectConnection('hook');
    const document = connection.document as Document;
    for (let clock = 1; clock <= 5; clock += 1) {
      const frame = awarenessFrame('hook', [11], { n: clock }, clock);
      const message = new IncomingMessage(frame);
      message.readVarString();
      await new MessageReceiver(message, { source: 'local' }).apply(document);
    }
    expect(changes).toEqual([[11], [11], [11], [11], [11]]);
    await connection.disconnect();
  });
});
