/**
 * Committed appends per second at the store level, with many writers at once (as many sockets
 * sending updates), side by side in one run, alternating rounds, medians:
 *  - SqliteStore, synchronous=NORMAL (the default) and FULL: one committed INSERT per call;
 *  - PostgresStore with grouped appends (every append of one event-loop turn in one INSERT);
 *  - PostgresStore with grouping off (`maxBatchRows: 1`): one round trip and commit per append.
 *
 *   node bench/storeAppend.ts [--writers 30] [--updates 300] [--rounds 3] [--pool 10] [--url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Each writer awaits its append before sending the next (a client waits for its acknowledgement).
 * `--url` names a maintenance database: the bench creates its own database beside it and drops it.
 * PostgreSQL runs with the server's own settings (fsync, synchronous_commit); both engines commit
 * durably before a call returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import * as Y from 'yjs';
import { PostgresStore } from '../src/storage/PostgresStore.ts';
import { SqliteStore } from '../src/storage/SqliteStore.ts';

const { values } = parseArgs({
  options: {
    writers: { type: 'string', default: '30' },
    updates: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    pool: { type: 'string', default: '10' },
    url: { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const writers = Number(values.writers);
const updatesPerWriter = Number(values.updates);
const rounds = Number(values.rounds);
const poolSize = Number(values.pool);

interface Appender {
  append(name: string, update: Uint8Array): number | Promise<number>;
}

interface Result {
  perSecond: number;
  /** Round trips (pool checkouts) per append, for PostgreSQL. */
  batches?: number;
}

/** Small real Yjs updates, one document per writer. */
function workload(): Uint8Array[][] {
  return Array.from({ length: writers }, (_, w) => {
    const doc = new Y.Doc();
    const out: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => out.push(u));
    for (let i = 0; i < updatesPerWriter; i += 1) doc.getMap('shapes').set(`s${i}`, { x: i, y: w, color: 'red' });
    return out;
  });
}

async function drive(store: Appender, updates: Uint8Array[][], tag: string): Promise<number> {
  const started = performance.now();
  await Promise.all(
    updates.map(async (list, w) => {
      for (const update of list) await store.append(`${tag}-writer-${w}`, update);
    }),
  );
  return writers * updatesPerWriter / ((performance.now() - started) / 1000);
}

async function sqlite(synchronous: 'NORMAL' | 'FULL', updates: Uint8Array[][], round: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
  const store = new SqliteStore(join(dir, 'db'), { synchronous });
  try {
    return { perSecond: await drive(store, updates, `r${round}`) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(url: string, grouped: boolean, updates: Uint8Array[][], round: number): Promise<Result> {
  const store = await PostgresStore.open(url, { poolSize, maxBatchRows: grouped ? 1000 : 1, instanceId: 'bench' });
  let checkouts = 0;
  store.pool.on('acquire', () => (checkouts += 1));
  try {
    const perSecond = await drive(store, updates, `r${round}-${grouped ? 'g' : 'u'}`);
    return { perSecond, batches: checkouts / (writers * updatesPerWriter) };
  } finally {
    await store.close();
  }
}

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `tutorboard_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: values.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(values.url!);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const setups: Array<[string, (url: string, updates: Uint8Array[][], round: number) => Promise<Result>]> = [
  ['SqliteStore, synchronous=NORMAL', (_url, u, r) => sqlite('NORMAL', u, r)],
  ['SqliteStore, synchronous=FULL', (_url, u, r) => sqlite('FULL', u, r)],
  [`PostgresStore, grouped (pool ${poolSize})`, (url, u, r) => postgres(url, true, u, r)],
  [`PostgresStore, one INSERT per append (pool ${poolSize})`, (url, u, r) => postgres(url, false, u, r)],
];

const results = await withDatabase(async (url) => {
  const updates = workload();
  const all = setups.map(() => [] as Result[]);
  for (let round = 0; round < rounds; round += 1) {
    for (const [i, [, run]] of setups.entries()) all[i].push(await run(url, updates, round));
  }
  return all;
});

const pgServer = new pg.Client({ connectionString: values.url });
await pgServer.connect();
const settings = (await pgServer.query("SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s")).rows[0];
await pgServer.end();

console.log(`\n${writers} writers x ${updatesPerWriter} appends each, ${rounds} alternating rounds, medians (node ${process.version}, PostgreSQL ${settings.v}, fsync=${settings.f}, synchronous_commit=${settings.s})\n`);
console.log(`${'store'.padEnd(48)} ${'appends/s'.padStart(10)} ${'round trips/append'.padStart(19)}`);
for (const [i, [name]] of setups.entries()) {
  const rate = median(results[i].map((r) => r.perSecond));
  const batches = results[i][0].batches === undefined ? '-' : median(results[i].map((r) => r.batches!)).toFixed(3);
  console.log(`${name.padEnd(48)} ${rate.toFixed(0).padStart(10)} ${batches.padStart(19)}`);
}
