/**
 * A join burst on a large board: the board is loaded (one client holds it open), then `joiners`
 * clients connect at once and each asks for the full state. Measured: the time until the last
 * joiner has the whole board, and the longest event-loop block inside the server meanwhile.
 * Before each burst the holder edits the board, so no burst can reuse an earlier one's encoding.
 */
import * as Y from 'yjs';
import { makeBoard } from '../harness/boards.ts';
import { boardAddress, LightClient } from '../harness/LightClient.ts';
import { ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';
import { median } from '../harness/stats.ts';

export interface JoinersOptions {
  boardBytes: number;
  joiners: number;
  /** Bursts per server process. */
  bursts: number;
  dir: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface JoinersResult extends Record<string, number> {
  /** Until the last joiner has the full state, median over the bursts. */
  lastMs: number;
  /** Longest event-loop block during a burst, the worst burst. */
  loopMaxMs: number;
}

const boards = new Map<number, ReturnType<typeof makeBoard>>();

export async function joiners(kind: ServerKind, options: JoinersOptions): Promise<JoinersResult> {
  const board = boards.get(options.boardBytes) ?? makeBoard(options.boardBytes);
  boards.set(options.boardBytes, board);
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: options.nodeArgs, env: options.env });
  const name = 'big-board';
  const holder = new LightClient(boardAddress(kind, server.port, name, 'holder'));
  await holder.synced;
  await holder.sendUpdate(board.update);
  const times: number[] = [];
  let loopMaxMs = 0;
  for (let burst = 0; burst < options.bursts; burst += 1) {
    const edit = new Y.Doc();
    edit.clientID = 1000 + burst;
    let update!: Uint8Array;
    edit.on('update', (u: Uint8Array) => (update = u));
    edit.getMap('shapes').set(`burst-${burst}`, { x: burst });
    await holder.sendUpdate(update);
    await server.stats({ reset: true });
    const started = performance.now();
    const clients = Array.from({ length: options.joiners }, (_, i) => new LightClient(boardAddress(kind, server.port, name, `joiner-${burst}-${i}`)));
    const sizes = await Promise.all(clients.map((c) => c.synced));
    times.push(Math.max(...clients.map((c) => c.syncedAt)) - started);
    const stats = await server.stats({ reset: true });
    loopMaxMs = Math.max(loopMaxMs, stats.loop.maxMs);
    if (Math.min(...sizes) < board.update.byteLength) throw new Error(`${kind}: a joiner got ${Math.min(...sizes)} bytes, less than the board`);
    for (const client of clients) client.close();
  }
  holder.close();
  await server.stop();
  return { lastMs: median(times), loopMaxMs };
}
