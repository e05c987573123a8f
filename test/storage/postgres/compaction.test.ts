/**
 * Two instances (two PostgresStore objects with their own instance ids on one database) edit and
 * compact one document, each from its own Y.Doc that lags behind the other's edits. Whatever the
 * interleaving, a load afterwards holds every update either of them had committed.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { PostgresStore } from '../../../src/storage/PostgresStore.ts';
import { createTestDatabase } from '../../utils/postgres.ts';
import { eventually } from '../../utils/waitFor.ts';

interface Instance {
  store: PostgresStore;
  doc: Y.Doc;
  /** Updates of the other instance not applied here yet (the lag). */
  inbox: Uint8Array[];
  /** Keys whose append has resolved (acknowledged). */
  acknowledged: string[];
}

async function edit(self: Instance, other: Instance, key: string): Promise<void> {
  let update: Uint8Array | undefined;
  const listener = (u: Uint8Array) => (update = u);
  self.doc.on('update', listener);
  self.doc.getMap('board').set(key, key);
  self.doc.off('update', listener);
  await self.store.append('lesson', update!);
  self.acknowledged.push(key);
  other.inbox.push(update!);
}

/** Applies some of what the other instance sent (Redis delivering late, in pieces). */
function catchUp(self: Instance, count: number): void {
  for (const update of self.inbox.splice(0, count)) Y.applyUpdate(self.doc, update);
}

async function loadedKeys(store: PostgresStore): Promise<string[]> {
  const { state, updates } = await store.load('lesson');
  const doc = new Y.Doc();
  if (state) Y.applyUpdate(doc, state);
  for (const u of updates) Y.applyUpdate(doc, u);
  return Object.keys(doc.getMap('board').toJSON()).sort();
}

async function twoInstances(): Promise<[Instance, Instance, Awaited<ReturnType<typeof createTestDatabase>>]> {
  const db = await createTestDatabase();
  const make = async (instanceId: string): Promise<Instance> => ({
    store: await db.openStore({ instanceId, poolSize: 3 }),
    doc: new Y.Doc(),
    inbox: [],
    acknowledged: [],
  });
  return [await make('a'), await make('b'), db];
}

describe('PostgresStore compaction with several instances', () => {
  it('merges what the other instance compacted or logged instead of overwriting it', async () => {
    const [a, b] = await twoInstances();
    for (let i = 0; i < 5; i += 1) await edit(a, b, `a${i}`);
    for (let i = 0; i < 5; i += 1) await edit(b, a, `b${i}`);
    // a knows nothing of b's edits: its state alone would drop them.
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    expect(await loadedKeys(a.store)).toEqual([...a.acknowledged, ...b.acknowledged].sort());
    expect(await a.store.pending('lesson')).toEqual({ updates: 0, bytes: 0 });
    // b knows nothing of a's: the stored state (a's, with b's rows merged) must survive b's compaction.
    await edit(b, a, 'b5');
    await b.store.compact('lesson', Y.encodeStateAsUpdate(b.doc));
    // a compacts again from the state it wrote last, but b has written since.
    await edit(a, b, 'a5');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    expect(await loadedKeys(b.store)).toEqual([...a.acknowledged, ...b.acknowledged].sort());
  });

  it('never loses an acknowledged update under interleaved appends and concurrent compactions', async () => {
    const [a, b] = await twoInstances();
    let n = 0;
    for (let round = 0; round < 12; round += 1) {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 4; i += 1) {
        writes.push(edit(a, b, `a${n}`), edit(b, a, `b${n}`));
        n += 1;
      }
      // Compactions race the appends and each other; each instance lags by a varying amount.
      const compactions = [
        a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc)),
        b.store.compact('lesson', Y.encodeStateAsUpdate(b.doc)),
      ];
      await Promise.all([...writes, ...compactions]);
      catchUp(a, round % 3);
      catchUp(b, (round + 1) % 4);
      expect(await loadedKeys(a.store)).toEqual([...a.acknowledged, ...b.acknowledged].sort());
    }
    await Promise.all([a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc)), b.store.compact('lesson', Y.encodeStateAsUpdate(b.doc))]);
    const all = [...a.acknowledged, ...b.acknowledged].sort();
    expect(all).toHaveLength(96);
    expect(await loadedKeys(a.store)).toEqual(all);
    expect(await loadedKeys(b.store)).toEqual(all);
  });

  it('leaves a row that commits after the compaction read the log, even with a lower id', async () => {
    const [a, b, db] = await twoInstances();
    await edit(a, b, 'a0');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    // Another instance's append: its id is drawn now, it commits later.
    const slow = await db.connect();
    await slow.query('BEGIN');
    const late = new Y.Doc();
    late.getMap('board').set('late', 'late');
    const inserted = await slow.query<{ id: string }>(
      "INSERT INTO document_updates (document_name, instance_id, data, created_at) VALUES ('lesson', 'c', $1, 0) RETURNING id",
      [Y.encodeStateAsUpdate(late)],
    );
    await edit(a, b, 'a1');
    // Holds the compaction between its read of the log and its writes.
    const blocker = await db.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT 1 FROM documents WHERE name = 'lesson' FOR UPDATE");
    const compaction = a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    await eventually(
      async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO documents%'")).length > 0,
      10_000,
      'the compaction to wait for the row lock',
    );
    await slow.query('COMMIT');
    await blocker.query('COMMIT');
    await compaction;
    const rows = await db.query<{ id: string }>('SELECT id FROM document_updates');
    expect(rows.map((r) => r.id)).toEqual([inserted.rows[0].id]);
    expect(await loadedKeys(b.store)).toEqual(['a0', 'a1', 'late']);
  });

  it('a lagging instance compacting twice keeps what it merged in the first time', async () => {
    const [a, b] = await twoInstances();
    await edit(b, a, 'b0');
    await edit(a, b, 'a0');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc)); // merges b0's row, trims it
    await edit(a, b, 'a1');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc)); // a still lacks b0
    expect(await loadedKeys(b.store)).toEqual(['a0', 'a1', 'b0']);
  });

  it('stores exactly the caller\'s state while nobody else wrote, and merges once somebody did', async () => {
    const [a, b, db] = await twoInstances();
    await edit(a, b, 'a0');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    const [{ state: written }] = await db.query<{ state: Buffer }>('SELECT state FROM documents');
    // Nothing foreign since: the new state is a's own, byte for byte.
    await edit(a, b, 'a1');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    const [{ state: again }] = await db.query<{ state: Buffer }>('SELECT state FROM documents');
    expect(new Uint8Array(again)).toEqual(Y.encodeStateAsUpdate(a.doc));
    expect(again.equals(written)).toBe(false);
    // b writes over it; a must merge it back in.
    await edit(b, a, 'b0');
    await b.store.compact('lesson', Y.encodeStateAsUpdate(b.doc));
    await edit(a, b, 'a2');
    await a.store.compact('lesson', Y.encodeStateAsUpdate(a.doc));
    expect(await loadedKeys(a.store)).toEqual(['a0', 'a1', 'a2', 'b0']);
  });
});
