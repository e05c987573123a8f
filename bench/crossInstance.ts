/**
 * How long a whiteboard update takes to reach another client, on the same instance against on
 * another instance of a cluster (PostgreSQL + Redis), side by side in one run.
 *
 *   node bench/crossInstance.ts [--updates 400] [--rate 20] [--postgres postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Two tutorboard instances in this process, a redis-server of its own on a free port (the
 * `redis-server` binary must be on PATH) and a scratch database. One writer on instance A sets a
 * key `--rate` times a second; a reader on A and a reader on B note when each key arrives.
 * Latency is from the writer's change to the reader's update event (one clock: same process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HocuspocusProvider } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { Authenticator } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { TutorboardServer } from '../src/server.ts';
import { startRedis } from './localRedis.ts';
import { scratchDatabase } from './scratchDatabase.ts';
import { waitFor } from './whiteboardLoad.ts';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '400' },
    rate: { type: 'string', default: '20' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const updates = Number(values.updates);
const intervalMs = 1000 / Number(values.rate);
const secret = 'bench-secret-that-is-long-enough-for-hs256';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const database = await scratchDatabase(values.postgres!);
if (!database) process.exit(1);
const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
const servers: TutorboardServer[] = [];
try {
  for (const id of ['a', 'b']) {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, `${id}.db`),
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      INSTANCE_ID: id,
      JWT_SECRET: secret,
    });
    const server = new TutorboardServer(config, { logger: createLogger({ level: 'silent' }), metrics: false });
    await server.listen();
    servers.push(server);
  }
  const token = new Authenticator({ secret }).sign({ sub: 'bench', sid: 'bench', role: 'tutor' }, 600);
  const connect = (server: TutorboardServer) =>
    new HocuspocusProvider({ url: `ws://127.0.0.1:${server.port}/ws/v2/session/bench/whiteboard`, name: 'bench', token, document: new Y.Doc() });
  const writer = connect(servers[0]);
  const readers = { 'same instance': connect(servers[0]), 'other instance': connect(servers[1]) };
  await Promise.all([writer, ...Object.values(readers)].map((p) => waitFor(p, () => p.isSynced, 'synced')));
  const sentAt = new Map<string, number>();
  const latencies: Record<string, number[]> = { 'same instance': [], 'other instance': [] };
  for (const [name, reader] of Object.entries(readers)) {
    reader.document.getMap('shapes').observe((event) => {
      const now = performance.now();
      for (const key of event.keysChanged) {
        const sent = sentAt.get(key);
        if (sent !== undefined) latencies[name].push(now - sent);
      }
    });
  }
  for (let i = 0; i < updates; i += 1) {
    const key = `k${i}`;
    sentAt.set(key, performance.now());
    writer.document.getMap('shapes').set(key, { x: i, y: i });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  // Whatever has not arrived 5 s after the last send counts as lost (the table shows how many arrived).
  const deadline = performance.now() + 5_000;
  while (Object.values(latencies).some((l) => l.length < updates) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(`\n${updates} updates at ${values.rate}/s from a writer on instance A (PostgreSQL + Redis, node ${process.version})\n`);
  console.log(`${'reader'.padEnd(16)} ${'received'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  for (const [name, values] of Object.entries(latencies)) {
    const sorted = [...values].sort((x, y) => x - y);
    console.log(
      `${name.padEnd(16)} ${String(sorted.length).padStart(9)} ${percentile(sorted, 50).toFixed(2).padStart(8)} ${percentile(sorted, 99).toFixed(2).padStart(8)} ${sorted.at(-1)!.toFixed(2).padStart(8)}`,
    );
  }
  writer.destroy();
  for (const reader of Object.values(readers)) reader.destroy();
} finally {
  for (const server of servers) await server.shutdown();
  redis.stop();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
}
