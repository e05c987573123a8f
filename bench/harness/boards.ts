/**
 * Boards of a given size, built the same way every time, as a busy lesson leaves them: shapes
 * as nested `Y.Map`s (one item per field, as editors that sync per property store them), shape
 * records as plain objects, pen strokes, and typed notes. Returned as one Yjs update (what a
 * client would send, or a state).
 */
import * as Y from 'yjs';

export interface Board {
  doc: Y.Doc;
  /** The whole board as one update. */
  update: Uint8Array;
}

/** A board whose state is at least `bytes` long. */
export function makeBoard(bytes: number): Board {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = 1;
  let size = 0;
  doc.on('update', (update: Uint8Array) => (size += update.byteLength));
  const shapes = doc.getMap('shapes');
  const records = doc.getMap('records');
  const strokes = doc.getArray('strokes');
  const notes = doc.getText('notes');
  for (let n = 0; size < bytes; n += 1) {
    doc.transact(() => {
      for (let i = 0; i < 10; i += 1) {
        const id = n * 10 + i;
        const shape = new Y.Map<unknown>();
        shapes.set(`s${id}`, shape);
        shape.set('kind', ['rect', 'ellipse', 'arrow', 'text'][id % 4]);
        shape.set('x', (id * 37) % 1920);
        shape.set('y', (id * 91) % 1080);
        shape.set('w', 40 + (id % 200));
        shape.set('h', 30 + (id % 150));
        shape.set('style', { stroke: '#1e1e1e', fill: id % 2 ? '#ffc9c9' : 'transparent', width: 2 });
        records.set(`r${id}`, { kind: 'sticky', x: (id * 53) % 1920, y: (id * 29) % 1080, text: `note ${id}` });
      }
      for (let i = 0; i < 2; i += 1) strokes.push([{ id: `p${n}-${i}`, points: Array.from({ length: 120 }, (_, k) => ((n + k) * 13) % 1000) }]);
    });
    // Typed a few characters at a time, as people type.
    for (let i = 0; i < 4; i += 1) notes.insert(notes.length, `w${n}.${i} `);
  }
  return { doc, update: Y.encodeStateAsUpdate(doc) };
}

/** `count` small edits on top of `board` (a log tail), each as its own update. */
export function laterEdits(board: Board, count: number): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const listener = (update: Uint8Array) => updates.push(update);
  board.doc.on('update', listener);
  const shapes = board.doc.getMap('shapes');
  for (let i = 0; i < count; i += 1) shapes.set(`late${i}`, { kind: 'rect', x: i, y: i, w: 10, h: 10 });
  board.doc.off('update', listener);
  return updates;
}
