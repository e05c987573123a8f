/**
 * How many whiteboard updates per second are acknowledged, side by side in one run:
 *  - bare Hocuspocus (`Server` from @hocuspocus/server, no persistence: the ceiling),
 *  - tutorboard with the synchronous SQLite update log, synchronous=NORMAL (crash-safe, the default),
 *  - tutorboard with synchronous=FULL (also power-loss-safe),
 *  - tutorboard on PostgreSQL (DATABASE_URL; appends of one event-loop turn grouped in one round trip),
 * plus the raw append rate of the store alone.
 *
 *   node bench/updateLog.ts [--clients 4] [--updates 2000] [--postgres postgres://postgres@127.0.0.1:5432/postgres | --postgres off]
 *
 * With --postgres (the machine's server by default) a database of its own is made and dropped.
 *
 * Clients and server share this process (loopback); figures are relative, not absolute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Server } from '@hocuspocus/server';
import * as Y from 'yjs';
import { Authenticator } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { TutorboardServer } from '../src/server.ts';
import { SqliteStore } from '../src/storage/SqliteStore.ts';
import { acknowledgedUpdates } from './whiteboardLoad.ts';
import { scratchDatabase } from './scratchDatabase.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '4' },
    updates: { type: 'string', default: '2000' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const clients = Number(values.clients);
const updatesPerClient = Number(values.updates);
const secret = 'bench-secret-that-is-long-enough-for-hs256';

async function drive(url: string, token: string | null) {
  return acknowledgedUpdates(url, token, clients, updatesPerClient);
}

async function bareHocuspocus() {
  const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false });
  await server.listen();
  const result = await drive(`ws://127.0.0.1:${server.address.port}`, null);
  await server.destroy();
  return result;
}

async function tutorboard(synchronous: 'NORMAL' | 'FULL', databaseUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: join(dir, 'db'),
    JWT_SECRET: secret,
    SQLITE_SYNCHRONOUS: synchronous,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const server = new TutorboardServer(config, { logger: createLogger({ level: 'silent' }) });
  const port = await server.listen();
  const token = new Authenticator({ secret }).sign({ sub: 'bench', sid: 'bench' }, 600);
  const result = await drive(`ws://127.0.0.1:${port}/ws/v2/session/bench/whiteboard`, token);
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

function rawAppends(synchronous: 'NORMAL' | 'FULL', count: number) {
  const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
  const store = new SqliteStore(join(dir, 'db'), { synchronous });
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < count; i += 1) doc.getMap('m').set(`k${i}`, { x: i });
  const started = performance.now();
  for (const update of updates) store.appendSync('raw', update);
  const ms = performance.now() - started;
  store.closeSync();
  rmSync(dir, { recursive: true, force: true });
  return { perSecond: count / (ms / 1000), usPerAppend: (ms * 1000) / count };
}

const rows: Array<[string, string, string]> = [];
const bare = await bareHocuspocus();
rows.push(['bare Hocuspocus (memory only, no durability)', bare.perSecond.toFixed(0), bare.ms.toFixed(0)]);
for (const mode of ['NORMAL', 'FULL'] as const) {
  const r = await tutorboard(mode);
  rows.push([`tutorboard, update log synchronous=${mode}`, r.perSecond.toFixed(0), r.ms.toFixed(0)]);
}
if (values.postgres !== 'off') {
  const database = await scratchDatabase(values.postgres!);
  if (database) {
    try {
      const r = await tutorboard('NORMAL', database.url);
      rows.push(['tutorboard, update log on PostgreSQL', r.perSecond.toFixed(0), r.ms.toFixed(0)]);
    } finally {
      await database.drop();
    }
  }
}
console.log(`\n${clients} providers x ${updatesPerClient} updates each, acknowledged by the server (node ${process.version})\n`);
console.log(`${'setup'.padEnd(50)} ${'updates/s'.padStart(10)} ${'total ms'.padStart(10)}`);
for (const [name, rate, ms] of rows) console.log(`${name.padEnd(50)} ${rate.padStart(10)} ${ms.padStart(10)}`);
console.log('\nstore.append alone (one committed INSERT per update):');
for (const mode of ['NORMAL', 'FULL'] as const) {
  const r = rawAppends(mode, 5000);
  console.log(`  synchronous=${mode.padEnd(6)} ${r.perSecond.toFixed(0).padStart(8)} appends/s  (${r.usPerAppend.toFixed(1)} µs each)`);
}
