/**
 * Cold first sync of a large board from storage: the board is stored (tutorboard: its state
 * compacted plus a log tail of small edits, written through the server itself and left behind
 * by a kill -9; the `bare-db` baseline: the same content as one state row), the server starts,
 * and one client after another opens a board nobody has open. Measured per board: from the
 * connect until the client has the full state, and the longest event-loop block meanwhile.
 */
import { join } from 'node:path';
import * as Y from 'yjs';
import { seedBaselineDocument } from '../harness/baselineDatabase.ts';
import { laterEdits, makeBoard } from '../harness/boards.ts';
import { boardAddress, LightClient } from '../harness/LightClient.ts';
import { ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';
import { median } from '../harness/stats.ts';

export interface ColdSyncOptions {
  boardBytes: number;
  /** Boards opened (each once) per server process, after one warm-up board. */
  boards: number;
  /** Small edits stored after the compacted state (tutorboard's log tail). */
  tail: number;
  dir: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface ColdSyncResult extends Record<string, number> {
  syncMs: number;
  loopMaxMs: number;
}

const names = (count: number) => ['warm-up', ...Array.from({ length: count }, (_, i) => `cold-${i}`)];

/** Writes the boards into the storage `kind` reads, in `options.dir`. */
async function seed(kind: ServerKind, options: ColdSyncOptions): Promise<number> {
  const board = makeBoard(options.boardBytes);
  const tail = laterEdits(board, options.tail);
  if (kind === 'bare-db') {
    const state = Y.encodeStateAsUpdate(board.doc);
    seedBaselineDocument(join(options.dir, 'baseline.db'), names(options.boards).map((name) => [name, state]));
    return state.byteLength;
  }
  // Through the server itself: the board and an orderly stop (compaction), then the tail with
  // the writers still connected and a crash, so the tail stays in the log.
  for (const phase of ['state', 'tail'] as const) {
    const server = await ServerProcess.start({ kind, dir: options.dir, env: options.env });
    const writers: LightClient[] = [];
    for (const name of names(options.boards)) {
      const writer = new LightClient(boardAddress(kind, server.port, name, 'seeder'));
      writers.push(writer);
      await writer.synced;
      if (phase === 'state') {
        // `board.update` is the board before its tail.
        await writer.sendUpdate(board.update);
      } else {
        for (const update of tail) await writer.sendUpdate(update);
      }
    }
    if (phase === 'state') {
      for (const writer of writers) writer.close();
      await server.stop();
    } else {
      await server.kill();
      for (const writer of writers) writer.close();
    }
  }
  return board.update.byteLength;
}

export async function coldSync(kind: ServerKind, options: ColdSyncOptions): Promise<ColdSyncResult> {
  const boardBytes = await seed(kind, options);
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: options.nodeArgs, env: options.env });
  const times: number[] = [];
  let loopMaxMs = 0;
  for (const name of names(options.boards)) {
    await server.stats({ reset: true });
    const started = performance.now();
    const client = new LightClient(boardAddress(kind, server.port, name, 'reader'));
    const bytes = await client.synced;
    const ms = client.syncedAt - started;
    const stats = await server.stats({ reset: true });
    client.close();
    if (bytes < boardBytes) throw new Error(`${kind}: ${name} synced ${bytes} bytes, less than the board`);
    if (name === 'warm-up') continue;
    times.push(ms);
    loopMaxMs = Math.max(loopMaxMs, stats.loop.maxMs);
  }
  await server.stop();
  return { syncMs: median(times), loopMaxMs };
}
