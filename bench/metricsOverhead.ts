/**
 * What metrics cost on the whiteboard hot path: acknowledged updates per second with metrics on
 * and off, interleaved in one run (off, on, off, on, …) so drift hits both alike, plus the cost of
 * one append observation alone and of one scrape.
 *
 *   node bench/metricsOverhead.ts [--clients 4] [--updates 2000] [--rounds 5]
 *
 * Clients and server share this process (loopback); compare the two columns, not absolute values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Metrics } from '../extensions/Metrics.ts';
import { Authenticator } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { TutorboardServer } from '../src/server.ts';
import { acknowledgedUpdates } from './whiteboardLoad.ts';

const { values } = parseArgs({
  options: { clients: { type: 'string', default: '4' }, updates: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } },
});
const clients = Number(values.clients);
const updatesPerClient = Number(values.updates);
const rounds = Number(values.rounds);
const secret = 'bench-secret-that-is-long-enough-for-hs256';

async function run(metrics: boolean): Promise<{ perSecond: number; scrapeMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'db'), JWT_SECRET: secret });
  const server = new TutorboardServer(config, { logger: createLogger({ level: 'silent' }), metrics });
  const port = await server.listen();
  const token = new Authenticator({ secret }).sign({ sub: 'bench', sid: 'bench' }, 600);
  const url = `ws://127.0.0.1:${port}/ws/v2/session/bench/whiteboard`;
  const { perSecond } = await acknowledgedUpdates(url, token, clients, updatesPerClient);
  let scrapeMs = Number.NaN;
  if (metrics) {
    const scrapeStarted = performance.now();
    await server.metrics.scrape();
    scrapeMs = performance.now() - scrapeStarted;
  }
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { perSecond, scrapeMs };
}

function observeCost(count: number): number {
  const metrics = new Metrics({ sources: { registry: undefined as never, tutor: undefined as never }, processMetrics: false });
  for (let i = 0; i < 10_000; i += 1) metrics.observeAppend(40, 0.02);
  const started = performance.now();
  for (let i = 0; i < count; i += 1) metrics.observeAppend(40, 0.02 + (i % 7) * 0.01);
  return ((performance.now() - started) * 1e6) / count;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off: number[] = [];
const on: number[] = [];
const scrapes: number[] = [];
await run(true); // warm-up: JIT, SQLite, module loading
for (let round = 0; round < rounds; round += 1) {
  off.push((await run(false)).perSecond);
  const r = await run(true);
  on.push(r.perSecond);
  scrapes.push(r.scrapeMs);
}
const change = ((median(on) - median(off)) / median(off)) * 100;
console.log(`\n${clients} providers x ${updatesPerClient} updates, acknowledged, ${rounds} interleaved rounds (node ${process.version})\n`);
console.log(`metrics off  median ${median(off).toFixed(0).padStart(7)} updates/s   runs: ${off.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`metrics on   median ${median(on).toFixed(0).padStart(7)} updates/s   runs: ${on.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`difference   ${change >= 0 ? '+' : ''}${change.toFixed(1)} % (on vs off)`);
console.log(`\none observeAppend (histogram + bytes counter): ${observeCost(1_000_000).toFixed(0)} ns`);
console.log(`one scrape after a run (server + process metrics): median ${median(scrapes).toFixed(2)} ms`);
