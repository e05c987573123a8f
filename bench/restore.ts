/**
 * How long a live restore of a ~1 MB board takes with 2 connected providers, side by side with
 * the naive baseline (swap the stored bytes for the snapshot's, let everyone reload):
 *  - server: the `Snapshots.restore` call (pre-restore snapshot + forward edit + log append),
 *  - converged: from the start of the call until both providers show the snapshot's content,
 * for two scenarios: "wipe" (the student cleared the board and scribbled) and "edits" (1% of
 * the shapes moved, a few added and removed).
 *
 *   node bench/restore.ts [--shapes 4000] [--runs 5]
 *
 * Server and providers share this process (loopback): figures include the providers' own work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HocuspocusProvider } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { Authenticator } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { documentToJSON } from '../src/documentContent.ts';
import { createLogger } from '../src/logger.ts';
import { TutorboardServer } from '../src/server.ts';
import type { SqliteStore } from '../src/storage/SqliteStore.ts';

const { values } = parseArgs({ options: { shapes: { type: 'string', default: '4000' }, runs: { type: 'string', default: '5' } } });
const shapeCount = Number(values.shapes);
const runs = Number(values.runs);
const secret = 'bench-secret-that-is-long-enough-for-hs256';
const session = 'bench';

function until(emitter: { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown }, event: string, done: () => boolean, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    };
    emitter.on(event, check);
    check();
  });
}

function next(emitter: { on(e: string, f: () => void): unknown; off(e: string, f: () => void): unknown }, event: string): Promise<void> {
  return new Promise((resolve) => {
    const once = () => {
      emitter.off(event, once);
      resolve();
    };
    emitter.on(event, once);
  });
}

function drawBoard(doc: Y.Doc): void {
  const shapes = doc.getMap<Y.Map<unknown>>('shapes');
  doc.transact(() => {
    for (let i = 0; i < shapeCount; i += 1) {
      const shape = new Y.Map<unknown>();
      shapes.set(`shape-${i}`, shape);
      shape.set('kind', ['rect', 'ellipse', 'path', 'arrow'][i % 4]);
      shape.set('x', (i * 37) % 1920);
      shape.set('y', (i * 91) % 1080);
      shape.set('w', 40 + (i % 200));
      shape.set('h', 30 + (i % 150));
      shape.set('style', { stroke: '#1e1e1e', fill: i % 2 ? '#ffc9c9' : 'transparent', width: 2 });
      shape.set('points', `M${i} ${i} L${i + 10} ${i + 20} Q${i + 5} ${i + 7} ${i + 30} ${i + 40} `.repeat(2));
    }
    doc.getArray('strokes').push(Array.from({ length: 500 }, (_, i) => ({ id: `stroke-${i}`, d: `M0 0 L${i} ${i}` })));
    doc.getText('notes').insert(0, 'Lesson notes: fractions, common denominators, worked examples. '.repeat(400));
  });
}

const scenarios: Record<string, (doc: Y.Doc) => void> = {
  wipe(doc) {
    doc.transact(() => {
      doc.getMap('shapes').clear();
      doc.getMap('shapes').set('scribble', { kind: 'path', points: 'M0 0 L500 500' });
      doc.getArray('strokes').delete(0, doc.getArray('strokes').length);
      doc.getText('notes').delete(0, doc.getText('notes').length);
      doc.getText('notes').insert(0, 'lol');
    });
  },
  edits(doc) {
    const shapes = doc.getMap<Y.Map<unknown>>('shapes');
    doc.transact(() => {
      for (let i = 0; i < shapeCount; i += 100) shapes.get(`shape-${i}`)?.set('x', -1);
      for (let i = 1; i < shapeCount; i += 500) shapes.delete(`shape-${i}`);
      for (let i = 0; i < 10; i += 1) shapes.set(`new-${i}`, new Y.Map([['kind', 'rect']]));
      doc.getText('notes').insert(0, 'edited ');
    });
  },
};

/** Cheap check that a doc shows the drawn board (full equality is checked after timing). */
function showsBoard(doc: Y.Doc): boolean {
  const shapes = doc.getMap<Y.Map<unknown>>('shapes');
  return shapes.size === shapeCount && !shapes.has('scribble') && !shapes.has('new-0') && shapes.get('shape-0')?.get('x') === 0 && !doc.getText('notes').toString().startsWith('edited') && doc.getText('notes').length > 3;
}

interface Run {
  serverMs: number;
  convergedMs: number;
  correct: boolean;
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'db'), JWT_SECRET: secret });
  const server = new TutorboardServer(config, { logger: createLogger({ level: 'silent' }) });
  const port = await server.listen();
  const token = new Authenticator({ secret }).sign({ sub: 'bench', sid: session, role: 'tutor' }, 3600);
  const providers = [0, 1].map(
    () =>
      new HocuspocusProvider({
        url: `ws://127.0.0.1:${port}/ws/v2/session/${session}/whiteboard`,
        name: session,
        token,
        document: new Y.Doc(),
      }),
  );
  await Promise.all(providers.map((p) => until(p, 'synced', () => p.isSynced)));
  drawBoard(providers[0].document);
  await until(providers[0], 'unsyncedChanges', () => providers[0].unsyncedChanges === 0);
  await until(providers[1].document, 'update', () => showsBoard(providers[1].document));
  const snapshot = await server.snapshots.create(session, { createdBy: 'bench', label: 'board' });
  const expected = JSON.stringify(documentToJSON(providers[0].document));
  const close = async () => {
    for (const p of providers) p.destroy();
    await server.shutdown();
    rmSync(dir, { recursive: true, force: true });
  };
  return { server, providers, snapshot, expected, close };
}

async function damage(providers: HocuspocusProvider[], scenario: string): Promise<void> {
  scenarios[scenario](providers[1].document);
  await until(providers[1], 'unsyncedChanges', () => providers[1].unsyncedChanges === 0);
  await until(providers[0].document, 'update', () => !showsBoard(providers[0].document));
}

async function forwardRestore(scenario: string): Promise<Run[]> {
  const { server, providers, snapshot, expected, close } = await setup();
  const results: Run[] = [];
  for (let run = 0; run < runs; run += 1) {
    await damage(providers, scenario);
    const started = performance.now();
    const converged = Promise.all(providers.map((p) => until(p.document, 'update', () => showsBoard(p.document))));
    await server.snapshots.restore(session, snapshot.id, 'bench');
    const serverMs = performance.now() - started;
    await converged;
    const convergedMs = performance.now() - started;
    const correct = providers.every((p) => JSON.stringify(documentToJSON(p.document)) === expected);
    results.push({ serverMs, convergedMs, correct });
  }
  await close();
  return results;
}

/** Disconnect everyone, replace the stored state with the snapshot's bytes, reconnect. */
async function byteSwap(scenario: string): Promise<Run[]> {
  const { server, providers, snapshot, expected, close } = await setup();
  const state = (await server.snapshots.get(session, snapshot.id)).state;
  const db = (server.store as SqliteStore).db;
  const replace = db.transaction(() => {
    db.prepare('DELETE FROM document_updates WHERE document_name = ?').run(session);
    db
      .prepare('INSERT INTO documents (name, state, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state')
      .run(session, state, Date.now(), Date.now());
  });
  const results: Run[] = [];
  for (let run = 0; run < runs; run += 1) {
    await damage(providers, scenario);
    const started = performance.now();
    // Everybody off (no automatic reconnect in the middle), then the byte swap, then back on.
    for (const p of providers) p.configuration.websocketProvider.disconnect();
    while (server.hocuspocus.documents.has(session)) await new Promise((r) => setImmediate(r));
    replace();
    const serverMs = performance.now() - started;
    const reconnected = providers.map((p) => next(p, 'synced'));
    for (const p of providers) void p.configuration.websocketProvider.connect();
    await Promise.all(reconnected);
    // The providers now push what the server lacks (their newer items and deletions): judge the
    // content once server and providers hold the same state.
    const sv = (doc: Y.Doc) => Buffer.from(Y.encodeStateVector(doc)).toString('base64');
    while (!server.hocuspocus.documents.has(session) || providers.some((p) => sv(p.document) !== sv(server.hocuspocus.documents.get(session)!))) {
      await new Promise((r) => setTimeout(r, 1));
    }
    const convergedMs = performance.now() - started;
    const correct = providers.every((p) => JSON.stringify(documentToJSON(p.document)) === expected);
    results.push({ serverMs, convergedMs, correct });
  }
  await close();
  return results;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const probe = new Y.Doc();
const savedShapes = shapeCount;
drawBoard(probe);
const boardBytes = Y.encodeStateAsUpdate(probe).byteLength;
probe.destroy();

console.log(`\nboard: ${savedShapes} shape records (Y.Map each) + 500 strokes + ${(400 * 63 / 1024).toFixed(0)} kB of text = ${(boardBytes / 1024 / 1024).toFixed(2)} MB Yjs state`);
console.log(`2 connected providers, ${runs} runs per row, median [min–max] (node ${process.version})\n`);
console.log(`${'method'.padEnd(34)} ${'scenario'.padEnd(9)} ${'server ms'.padStart(22)} ${'converged ms'.padStart(22)}  content`);
for (const scenario of Object.keys(scenarios)) {
  for (const [name, method] of [
    ['forward restore (Snapshots)', forwardRestore],
    ['baseline: swap bytes + reload', byteSwap],
  ] as const) {
    const r = await method(scenario);
    const fmt = (xs: number[]) => `${median(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`;
    const ok = r.filter((x) => x.correct).length;
    console.log(
      `${name.padEnd(34)} ${scenario.padEnd(9)} ${fmt(r.map((x) => x.serverMs)).padStart(22)} ${fmt(r.map((x) => x.convergedMs)).padStart(22)}  ${ok}/${r.length} runs show the snapshot`,
    );
  }
}
console.log(`
server ms: forward = the Snapshots.restore call (load snapshot, pre-restore snapshot, diff + edit, log append,
broadcast); baseline = disconnect everyone, wait for the unload, replace state + clear the log.
converged ms: until both providers hold the snapshot's content (forward) or the same state as the server (baseline).
The baseline is fast and wrong: the reconnecting providers still hold every newer item and deletion, so they merge
the damaged board straight back into the server; the "restored" document is the damaged one again, for everybody.`);
process.exit(0);
