/**
 * A reconnect storm: `clients` clients (30 per board, boards stored) all connect at the same
 * moment to a server that just started, as they do when an instance restarts under a class.
 * Measured: until the last one has authenticated and has its board. Each client connects once
 * more after an error, as a provider retries.
 */
import * as Y from 'yjs';
import { seedBaselineDocument } from '../harness/baselineDatabase.ts';
import { makeBoard } from '../harness/boards.ts';
import { boardAddress, LightClient } from '../harness/LightClient.ts';
import { ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';
import { join } from 'node:path';

export interface StormOptions {
  clients: number;
  /** Size of each stored board. */
  boardBytes: number;
  dir: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface StormResult extends Record<string, number> {
  /** Until the last client has its board. */
  allSyncedMs: number;
  /** Clients that needed a second attempt. */
  retries: number;
}

const boardsOf = (clients: number) => Array.from({ length: Math.ceil(clients / 30) }, (_, i) => `board-${i}`);

async function seed(kind: ServerKind, options: StormOptions): Promise<void> {
  const board = makeBoard(options.boardBytes);
  if (kind === 'bare-db') {
    const state = Y.encodeStateAsUpdate(board.doc);
    seedBaselineDocument(join(options.dir, 'baseline.db'), boardsOf(options.clients).map((name) => [name, state]));
    return;
  }
  if (kind !== 'tutorboard') return;
  const server = await ServerProcess.start({ kind, dir: options.dir, env: options.env });
  for (const name of boardsOf(options.clients)) {
    const writer = new LightClient(boardAddress(kind, server.port, name, 'seeder'));
    await writer.synced;
    await writer.sendUpdate(board.update);
    writer.close();
  }
  await server.stop();
}

export async function reconnectStorm(kind: ServerKind, options: StormOptions): Promise<StormResult> {
  await seed(kind, options);
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: options.nodeArgs, env: options.env });
  let retries = 0;
  const clients: LightClient[] = [];
  const connect = async (i: number): Promise<number> => {
    const address = boardAddress(kind, server.port, `board-${Math.floor(i / 30)}`, `user-${i}`);
    const first = new LightClient(address);
    clients.push(first);
    try {
      await first.synced;
      return first.syncedAt;
    } catch {
      retries += 1;
      const second = new LightClient(address);
      clients.push(second);
      await second.synced;
      return second.syncedAt;
    }
  };
  const started = performance.now();
  const syncedAt = await Promise.all(Array.from({ length: options.clients }, (_, i) => connect(i)));
  const allSyncedMs = Math.max(...syncedAt) - started;
  for (const client of clients) client.close();
  await server.stop();
  return { allSyncedMs, retries };
}
