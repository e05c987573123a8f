import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { Board } from '../../web/src/Board.ts';
import { hitsShape, shapePath, smoothPath } from '../../web/src/geometry.ts';
import { boardWidth, palette, readShape } from '../../web/src/shapes.ts';

/** Two windows' documents kept in step as a server would (every update relayed at once). */
function pair(): [Board, Board] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  const remote = Symbol('remote');
  a.on('update', (update: Uint8Array, origin: unknown) => origin !== remote && Y.applyUpdate(b, update, remote));
  b.on('update', (update: Uint8Array, origin: unknown) => origin !== remote && Y.applyUpdate(a, update, remote));
  return [new Board(a, 'Ada'), new Board(b, 'Ben')];
}

const style = { color: palette[1], width: 6 };

afterEach(() => {
  vi.useRealTimers();
});

describe('board model', () => {
  it('undo and redo touch only this window\'s own edits', () => {
    const [ada, ben] = pair();
    const stroke = ada.start('pen', style, 10, 10);
    ada.extend(stroke, [20, 20, 30, 25]);
    ada.endGesture();
    const rect = ben.start('rect', style, 100, 100);
    ben.extend(rect, [200, 150]);
    ben.endGesture();
    expect(ada.all().map((s) => s.id)).toEqual([stroke, rect]);

    ada.undo();
    expect(ada.all().map((s) => s.id)).toEqual([rect]);
    expect(ben.all().map((s) => s.id)).toEqual([rect]);
    expect(ada.canUndo).toBe(false);
    // Ben's history is untouched by Ada's undo, and never held Ada's stroke.
    expect(ben.canUndo).toBe(true);
    ada.redo();
    expect(ben.get(stroke)?.points).toEqual([10, 10, 20, 20, 30, 25]);
  });

  it('a gesture is one undo step however long it takes; the next gesture is another', () => {
    vi.useFakeTimers();
    const [ada] = pair();
    const first = ada.start('pen', style, 0, 0);
    for (let i = 1; i <= 5; i += 1) {
      vi.advanceTimersByTime(2_000);
      ada.extend(first, [i * 10, i * 5]);
    }
    ada.endGesture();
    const second = ada.start('line', style, 0, 0);
    ada.extend(second, [50, 50]);
    ada.endGesture();
    ada.undo();
    expect(ada.all().map((s) => s.id)).toEqual([first]);
    expect(ada.get(first)?.points).toHaveLength(12);
    ada.undo();
    expect(ada.all()).toEqual([]);
  });

  it('clear removes everyone\'s shapes as one step that undo brings back', () => {
    const [ada, ben] = pair();
    ada.start('pen', style, 1, 1);
    ada.endGesture();
    ben.start('ellipse', style, 5, 5);
    ben.endGesture();
    ben.clear();
    expect(ada.all()).toEqual([]);
    ben.undo();
    expect(ada.all()).toHaveLength(2);
    expect(ben.canUndo).toBe(true); // his own ellipse is still undoable
  });

  it('stacks new shapes on top, in the same order in every window', () => {
    const [ada, ben] = pair();
    const a1 = ada.start('rect', style, 0, 0);
    const b1 = ben.start('rect', style, 0, 0);
    const a2 = ada.start('rect', style, 0, 0);
    expect(ada.all().map((s) => s.id)).toEqual([a1, b1, a2]);
    expect(ben.all().map((s) => s.id)).toEqual([a1, b1, a2]);
  });

  it('reads whatever another client wrote without trusting it', () => {
    const doc = new Y.Doc();
    const shapes = doc.getMap<unknown>('shapes');
    const record = (fields: Record<string, unknown>) => {
      const map = new Y.Map<unknown>();
      for (const [k, v] of Object.entries(fields)) map.set(k, v);
      return map;
    };
    shapes.set('plain', { kind: 'rect', x1: 0 });
    shapes.set('unknown', record({ kind: 'script' }));
    shapes.set('hostile', record({ kind: 'line', color: 'red;background:url(x)', width: 1e9, x1: -1e12, y1: Number.NaN, x2: 'a', y2: 5, by: 'x'.repeat(500) }));
    const points = new Y.Array<unknown>();
    points.push([1, 2, 'three', 4, 5]);
    shapes.set('pen', record({ kind: 'pen', points }));
    expect(readShape('plain', shapes.get('plain'))).toBeUndefined();
    expect(readShape('unknown', shapes.get('unknown'))).toBeUndefined();
    expect(readShape('hostile', shapes.get('hostile'))).toMatchObject({ color: palette[0], width: 40, points: [-boardWidth, 0, 0, 5] });
    expect(readShape('hostile', shapes.get('hostile'))!.by).toHaveLength(40);
    expect(readShape('pen', shapes.get('pen'))!.points).toEqual([1, 2, 0, 4]);
  });
});

describe('board geometry', () => {
  it('smooths strokes through midpoints and draws a tap as a dot', () => {
    expect(smoothPath([5, 5])).toBe('M5 5l0.1 0');
    expect(smoothPath([0, 0, 10, 0, 10, 10, 20, 10])).toBe('M0 0Q10 0 10 5Q10 10 15 10L20 10');
    expect(shapePath({ kind: 'rect', points: [30, 40, 10, 20], width: 2 })).toBe('M10 20H30V40H10Z');
    expect(shapePath({ kind: 'arrow', points: [0, 0, 100, 0], width: 2 })).toMatch(/^M0 0L100 0M\S+ \S+L100 0L\S+ \S+$/);
  });

  it('hits a shape on its stroke, not inside an outline', () => {
    const pen = { kind: 'pen' as const, points: [0, 0, 100, 0, 100, 100], width: 4 };
    expect(hitsShape(pen, 50, 5, 4)).toBe(true);
    expect(hitsShape(pen, 50, 20, 4)).toBe(false);
    const rect = { kind: 'rect' as const, points: [0, 0, 100, 100], width: 2 };
    expect(hitsShape(rect, 100, 50, 5)).toBe(true);
    expect(hitsShape(rect, 50, 50, 5)).toBe(false);
    const ellipse = { kind: 'ellipse' as const, points: [0, 0, 200, 100], width: 2 };
    expect(hitsShape(ellipse, 200, 50, 5)).toBe(true);
    expect(hitsShape(ellipse, 100, 3, 5)).toBe(true);
    expect(hitsShape(ellipse, 100, 50, 5)).toBe(false);
  });
});
