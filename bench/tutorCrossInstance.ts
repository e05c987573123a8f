/**
 * What sharing tutor rooms through Redis costs, against one instance without Redis, in one run:
 *  - latency: a sender at `--rate` messages/s; a reader on the same instance and one on another
 *    instance note when each message arrives (one clock: everything in this process);
 *  - throughput: `--senders` clients (half on each instance) send `--burst` messages each as fast
 *    as the server takes them; the time until a listener has them all.
 *
 *   node bench/tutorCrossInstance.ts [--messages 400] [--rate 20] [--senders 4] [--burst 500]
 *      [--postgres postgres://postgres@127.0.0.1:5432/postgres]
 *
 * The baseline is one instance on SQLite without REDIS_URL (`LocalRooms`); the cluster is two
 * instances with a redis-server of their own on a free port (`redis-server` on PATH) and a
 * scratch PostgreSQL database (REDIS_URL needs DATABASE_URL). Rate limits are raised so that
 * nothing is dropped; servers and clients share this process, as in bench/crossInstance.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { Authenticator } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { TutorboardServer } from '../src/server.ts';
import { startRedis } from './localRedis.ts';
import { scratchDatabase } from './scratchDatabase.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '400' },
    rate: { type: 'string', default: '20' },
    senders: { type: 'string', default: '4' },
    burst: { type: 'string', default: '500' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const secret = 'bench-secret-that-is-long-enough-for-hs256';
const signer = new Authenticator({ secret });

async function startInstance(dir: string, env: Record<string, string>): Promise<TutorboardServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: join(dir, `${env.INSTANCE_ID ?? 'solo'}.db`),
    JWT_SECRET: secret,
    TUTOR_RATE_LIMIT_PER_SECOND: '100000',
    TUTOR_RATE_LIMIT_BURST: '100000',
    ...env,
  });
  const server = new TutorboardServer(config, { logger: createLogger({ level: 'silent' }), metrics: false });
  await server.listen();
  return server;
}

/** A tutor socket that calls `onMessage` with each room message, open once welcomed. */
async function client(server: TutorboardServer, room: string, sub: string, onMessage: (m: { type: string; n: number }) => void = () => {}): Promise<WebSocket> {
  const token = signer.sign({ sub, sid: room, role: 'student' }, 600);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/v2/session/${room}?token=${token}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; n: number };
      if (message.type === 'welcome') resolve();
      else onMessage(message);
    });
  });
  return ws;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!condition() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return condition();
}

/** Latency rows: from the sender's write to each reader's receive. */
async function latency(sender: TutorboardServer, readers: Record<string, TutorboardServer>, room: string): Promise<Array<[string, number[]]>> {
  const sentAt: number[] = [];
  const rows: Array<[string, number[]]> = [];
  for (const [name, server] of Object.entries(readers)) {
    const got: number[] = [];
    rows.push([name, got]);
    await client(server, room, `reader-${name}`, (m) => {
      if (m.type === 'tick') got.push(performance.now() - sentAt[m.n]);
    });
  }
  const ws = await client(sender, room, 'sender');
  const count = Number(values.messages);
  for (let n = 0; n < count; n += 1) {
    sentAt[n] = performance.now();
    ws.send(JSON.stringify({ type: 'tick', n }));
    await new Promise((resolve) => setTimeout(resolve, 1000 / Number(values.rate)));
  }
  await until(() => rows.every(([, got]) => got.length >= count), 5_000);
  return rows;
}

/** Messages per second from `--senders` clients spread over `instances` until one listener has them all. */
async function throughput(instances: TutorboardServer[], room: string): Promise<number> {
  const total = Number(values.senders) * Number(values.burst);
  let received = 0;
  await client(instances.at(-1)!, room, 'listener', (m) => {
    if (m.type === 'burst') received += 1;
  });
  const senders = await Promise.all([...Array(Number(values.senders)).keys()].map((i) => client(instances[i % instances.length], room, `s${i}`)));
  const started = performance.now();
  for (let n = 0; n < Number(values.burst); n += 1) for (const ws of senders) ws.send(JSON.stringify({ type: 'burst', n }));
  await until(() => received >= total, 60_000);
  return (received / (performance.now() - started)) * 1000;
}

const database = await scratchDatabase(values.postgres!);
if (!database) process.exit(1);
const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
const servers: TutorboardServer[] = [];
try {
  const solo = await startInstance(dir, {});
  const cluster = { DATABASE_URL: database.url, REDIS_URL: redis.url };
  const a = await startInstance(dir, { ...cluster, INSTANCE_ID: 'a' });
  const b = await startInstance(dir, { ...cluster, INSTANCE_ID: 'b' });
  servers.push(solo, a, b);
  const rows = [
    ...(await latency(solo, { 'one instance, no Redis': solo }, 'lat-solo')),
    ...(await latency(a, { 'Redis, same instance': a, 'Redis, other instance': b }, 'lat-cluster')),
  ];
  console.log(`\n${values.messages} tutor messages at ${values.rate}/s from one sender (node ${process.version})\n`);
  console.log(`${'reader'.padEnd(24)} ${'received'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`);
  for (const [name, got] of rows) {
    const sorted = [...got].sort((x, y) => x - y);
    const cell = (p: number) => (sorted.length ? percentile(sorted, p).toFixed(2) : '-').padStart(8);
    console.log(`${name.padEnd(24)} ${String(sorted.length).padStart(9)} ${cell(50)} ${cell(99)} ${(sorted.at(-1)?.toFixed(2) ?? '-').padStart(8)}`);
  }
  const solo_ = await throughput([solo], 'burst-solo');
  const shared = await throughput([a, b], 'burst-cluster');
  console.log(`\n${values.senders} senders × ${values.burst} messages at once, to one listener\n`);
  console.log(`${'one instance, no Redis'.padEnd(24)} ${solo_.toFixed(0).padStart(9)} messages/s`);
  console.log(`${'Redis, two instances'.padEnd(24)} ${shared.toFixed(0).padStart(9)} messages/s (${(shared / solo_).toFixed(2)}×)`);
  process.exitCode = 0;
} finally {
  for (const server of servers) await server.shutdown();
  redis.stop();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
  // Client sockets are not closed one by one: the servers are gone.
  setTimeout(() => process.exit(), 100).unref();
}
