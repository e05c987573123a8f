/**
 * The durable write path (bench/updateLog.ts with light clients): `writers` clients on one board
 * each send `updates` small edits as fast as the server takes them; the clock stops when every
 * one is acknowledged. In tutorboard an acknowledgement means the update is in the SQLite log;
 * bare Hocuspocus keeps it in memory only.
 */
import * as Y from 'yjs';
import { boardAddress, encodeFrame, LightClient } from '../harness/LightClient.ts';
import { ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';

export interface UpdatesOptions {
  writers: number;
  updates: number;
  dir: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface UpdatesResult extends Record<string, number> {
  perSecond: number;
}

export async function acknowledgedUpdates(kind: ServerKind, options: UpdatesOptions): Promise<UpdatesResult> {
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: options.nodeArgs, env: options.env });
  const writers = Array.from({ length: options.writers }, (_, i) => new LightClient(boardAddress(kind, server.port, 'log', `writer-${i}`)));
  await Promise.all(writers.map((w) => w.synced));
  const frames = writers.map((w, i) => {
    const doc = new Y.Doc();
    doc.clientID = 100 + i;
    const out: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => out.push(encodeFrame.update(w.key, update)));
    const shapes = doc.getMap('shapes');
    for (let k = 0; k < options.updates; k += 1) shapes.set(`w${i}-${k}`, { x: k, y: i, kind: 'stroke' });
    return out;
  });
  const started = performance.now();
  await Promise.all(
    writers.map(async (w, i) => {
      for (const frame of frames[i]) w.send(frame);
      await w.allAcknowledged();
    }),
  );
  const ms = performance.now() - started;
  for (const w of writers) w.close();
  await server.stop();
  return { perSecond: (options.writers * options.updates) / (ms / 1000) };
}
