/**
 * Cold first load of a large board from SQLite (stored state + update log), side by side in one
 * run, alternating (ABAB), medians:
 *  - tutorboard: Persistence loads straight into the new document, state then log, one transaction;
 *  - baseline: @hocuspocus/extension-database with `fetch` reading the same rows the usual way
 *    (replay into a scratch Y.Doc, encode, then the extension decodes it into the document).
 *
 *   node bench/coldLoad.ts [--shapes 4000] [--strokes 500] [--rounds 7]
 *
 * Measures `openDirectConnection` on an unloaded document (storage read + decode). Both paths
 * run as one synchronous stretch, so the load time is also how long the event loop is blocked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Database } from '@hocuspocus/extension-database';
import { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { Persistence } from '../extensions/Persistence.ts';
import { SqliteStore } from '../src/storage/SqliteStore.ts';

const { values } = parseArgs({
  options: { shapes: { type: 'string', default: '4000' }, strokes: { type: 'string', default: '500' }, rounds: { type: 'string', default: '7' } },
});
const dir = mkdtempSync(join(tmpdir(), 'tutorboard-coldload-'));
const store = new SqliteStore(join(dir, 'board.db'));

// A board like a busy lesson's: shape records and pen strokes, compacted, plus a log of later edits.
const doc = new Y.Doc();
const shapes = doc.getMap('shapes');
for (let i = 0; i < Number(values.shapes); i += 1) shapes.set(`s${i}`, { kind: 'rect', x: i, y: i * 2, w: 40, h: 30, color: '#ff8800', label: `shape ${i}` });
const strokes = doc.getArray('strokes');
for (let i = 0; i < Number(values.strokes); i += 1) strokes.push([{ points: Array.from({ length: 200 }, (_, k) => k * 1.5) }]);
store.compactSync('board', Y.encodeStateAsUpdate(doc));
for (let i = 0; i < 200; i += 1) {
  const before = Y.encodeStateVector(doc);
  shapes.set(`late${i}`, { x: i });
  store.appendSync('board', Y.encodeStateAsUpdate(doc, before));
}
const stateBytes = Y.encodeStateAsUpdate(doc).byteLength;
const expected = shapes.size;

const tutorboard = new Persistence({ store });
const baseline = new Database({ fetch: async ({ documentName }) => tutorboard.read(documentName) });

async function load(extension: Persistence | Database): Promise<number> {
  const hocuspocus = new Hocuspocus({ quiet: true, extensions: [extension] });
  const started = performance.now();
  const connection = await hocuspocus.openDirectConnection('board', {});
  const ms = performance.now() - started;
  if (connection.document!.getMap('shapes').size !== expected) throw new Error('the loaded board is incomplete');
  await connection.disconnect();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { tutorboard: [] as number[], baseline: [] as number[] };
await load(tutorboard); // warm up both paths once
await load(baseline);
for (let round = 0; round < Number(values.rounds); round += 1) {
  results.tutorboard.push(await load(tutorboard));
  results.baseline.push(await load(baseline));
}
store.closeSync();
rmSync(dir, { recursive: true, force: true });

console.log(`\ncold load of a ${(stateBytes / 1024 / 1024).toFixed(2)} MB board (state + 200 log updates), median of ${values.rounds} (node ${process.version})\n`);
console.log('setup                                           load ms');
console.log(`tutorboard (straight into the document)      ${median(results.tutorboard).toFixed(1).padStart(9)}`);
console.log(`extension-database via a scratch Y.Doc       ${median(results.baseline).toFixed(1).padStart(9)}`);
console.log(`ratio                                         ${(median(results.tutorboard) / median(results.baseline)).toFixed(2).padStart(8)}×`);
