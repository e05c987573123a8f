/**
 * A join burst while someone draws: every joiner gets the whole board (the cached answer plus
 * the changes since, src/hocuspocus/SyncReplyCache.ts) and converges with the board as it goes
 * on changing; the beforeSync hook still sees every joiner's sync step 1.
 */
import type { Extension } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { acknowledged, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';

describe('a join burst on a board that is being drawn on', () => {
  it('every joiner converges with the board; beforeSync sees each sync step 1', async () => {
    const steps: number[] = [];
    const spy: Extension = { beforeSync: async ({ type }) => void steps.push(type) };
    const t = await startServer({}, { extensions: [spy] });
    const name = 'burst';
    const token = (sub: string) => t.token({ sub, sid: name });
    const writer = newProvider({ url: t.whiteboardUrl(name), name, token: token('writer') });
    await synced(writer);
    const shapes = writer.document.getMap('shapes');
    // About 150 KB: large enough for the answers to take turns (64 KiB and up).
    writer.document.transact(() => {
      for (let i = 0; i < 3000; i += 1) shapes.set(`s${i}`, { kind: 'rect', x: i, y: i * 2, label: `shape number ${i}` });
    });
    await acknowledged(writer);
    const before = steps.filter((s) => s === 0).length;

    const joiners = Array.from({ length: 12 }, (_, i) => newProvider({ url: t.whiteboardUrl(name), name, token: token(`joiner-${i}`), document: new Y.Doc() }));
    let drawing = true;
    const drawn = (async () => {
      for (let n = 0; drawing; n += 1) {
        shapes.set(`during-${n}`, { kind: 'stroke', n });
        if (n % 3 === 0) shapes.delete(`s${n}`);
        await acknowledged(writer);
      }
    })();
    await Promise.all(joiners.map((p) => synced(p, 10_000)));
    drawing = false;
    await drawn;
    const expected = JSON.stringify(shapes.toJSON());
    for (const joiner of joiners) await docMatches(joiner.document, () => JSON.stringify(joiner.document.getMap('shapes').toJSON()) === expected, 10_000);
    expect(steps.filter((s) => s === 0).length - before).toBeGreaterThanOrEqual(joiners.length);
  }, 30_000);

  it('a board loaded from storage: joiners get the stored content and the edits made since', async () => {
    const first = await startServer();
    const name = 'stored';
    const writer = newProvider({ url: first.whiteboardUrl(name), name, token: first.token({ sub: 'writer', sid: name }) });
    await synced(writer);
    writer.document.transact(() => {
      for (let i = 0; i < 2000; i += 1) writer.document.getMap('shapes').set(`s${i}`, { x: i, label: `shape ${i}` });
    });
    await acknowledged(writer);
    writer.destroy();
    await first.stop();

    // Loaded again: the answer comes from the update Yjs encoded while the stored state was applied.
    const t = await startServer({}, { dir: first.dir });
    const editor = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'editor', sid: name }) });
    await synced(editor);
    expect(editor.document.getMap('shapes').size).toBe(2000);
    editor.document.getMap('shapes').set('after-restart', { x: -1 });
    editor.document.getMap('shapes').delete('s7');
    await acknowledged(editor);
    const joiners = Array.from({ length: 5 }, (_, i) => newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: `joiner-${i}`, sid: name }) }));
    const expected = JSON.stringify(editor.document.getMap('shapes').toJSON());
    for (const joiner of joiners) await docMatches(joiner.document, () => JSON.stringify(joiner.document.getMap('shapes').toJSON()) === expected, 10_000);
  }, 30_000);
});
