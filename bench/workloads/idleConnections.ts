/**
 * What idle connections cost: the server's memory after start (no connection yet: the fixed
 * cost) and per connection once `connections` clients (30 per board, authenticated and synced,
 * then silent) are open. Read inside the server after full garbage collections (the server
 * runs with --expose-gc).
 */
import { boardAddress, connectAll, LightClient } from '../harness/LightClient.ts';
import { ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';
import { sleep } from '../harness/stats.ts';

export interface IdleOptions {
  connections: number;
  /** Wait for the server to settle before reading its fixed cost (skipped by the smoke run). @default true */
  settle?: boolean;
  dir: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface IdleResult extends Record<string, number> {
  /** RSS once started and settled, before any connection, in MiB. */
  fixedRssMiB: number;
  /** V8 heap used per connection, in KiB. */
  heapPerConnectionKiB: number;
  /** Heap + external (Buffers) per connection, in KiB. */
  retainedPerConnectionKiB: number;
  /** RSS per connection, in KiB. */
  rssPerConnectionKiB: number;
}

const MiB = 1024 * 1024;

export async function idleConnections(kind: ServerKind, options: IdleOptions): Promise<IdleResult> {
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: ['--expose-gc', ...(options.nodeArgs ?? [])], env: options.env });
  // The fixed cost is read once the server has settled: V8 gives back the heap that startup grew
  // (module loading) a few seconds after the process goes idle (its memory reducer), and the
  // pages leave RSS a little later.
  const started = (await server.stats()).memory.heapTotal;
  let shrunk = false;
  let lastRss = Number.POSITIVE_INFINITY;
  for (let waited = 0; options.settle !== false && waited < 20_000; waited += 1000) {
    await sleep(1000);
    const { heapTotal, rss } = (await server.stats()).memory;
    shrunk ||= heapTotal < started * 0.8;
    if (shrunk && Math.abs(lastRss - rss) < 256 * 1024) break;
    lastRss = rss;
  }
  const before = (await server.stats({ gc: true })).memory;
  const clients: LightClient[] = await connectAll(
    (i) => new LightClient(boardAddress(kind, server.port, `board-${Math.floor(i / 30)}`, `user-${i}`)),
    options.connections,
    250,
  );
  await sleep(500);
  const after = (await server.stats({ gc: true })).memory;
  for (const client of clients) client.close();
  await server.stop();
  const n = options.connections;
  return {
    fixedRssMiB: before.rss / MiB,
    heapPerConnectionKiB: (after.heapUsed - before.heapUsed) / n / 1024,
    retainedPerConnectionKiB: (after.heapUsed + after.external - before.heapUsed - before.external) / n / 1024,
    rssPerConnectionKiB: (after.rss - before.rss) / n / 1024,
  };
}
