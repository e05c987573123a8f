/**
 * What a shape on the board is, and how one is read safely from the shared document: any client
 * with a token can write anything into it, so every value is checked before it is drawn.
 */
import * as Y from 'yjs';

/** The board is a fixed page in these units, scaled to fit the window, so every window shares coordinates. */
export const boardWidth = 1600;
export const boardHeight = 1000;

export const shapeKinds = ['pen', 'line', 'arrow', 'rect', 'ellipse'] as const;
export type ShapeKind = (typeof shapeKinds)[number];

export const palette = ['#1e1e1e', '#e03131', '#1971c2', '#2f9e44', '#f08c00', '#9c36b5'] as const;
export const strokeWidths = [3, 6, 12] as const;

/** Longest pen stroke, in points; a stroke stops growing there (a new one starts with the next press). */
export const maxPenPoints = 4000;

export interface ShapeStyle {
  color: string;
  width: number;
}

export interface Shape extends ShapeStyle {
  id: string;
  kind: ShapeKind;
  /** Stacking order; ties are broken by id so that every window agrees. */
  z: number;
  /** Display name of whoever drew it. */
  by: string;
  /** Pen: x0, y0, x1, y1, …; the other kinds: x1, y1, x2, y2 (start and end of the drag). */
  points: number[];
}

/** A shape as stored: one Y.Map per shape; a pen stroke keeps its points in a Y.Array so that it can grow. */
export type ShapeRecord = Y.Map<unknown>;

const colorPattern = /^#[0-9a-f]{6}$/i;

function finite(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function coordinate(value: unknown): number {
  // Anything far off the page is clamped, so a hostile value cannot blow up the SVG.
  return Math.max(-boardWidth, Math.min(2 * boardWidth, finite(value)));
}

/** The shape in `record`, or undefined when it is not one this page can draw. */
export function readShape(id: string, record: unknown): Shape | undefined {
  if (!(record instanceof Y.Map)) return undefined;
  const kind = record.get('kind');
  if (typeof kind !== 'string' || !(shapeKinds as readonly string[]).includes(kind)) return undefined;
  const color = record.get('color');
  const by = record.get('by');
  let points: number[];
  if (kind === 'pen') {
    const stored = record.get('points');
    if (!(stored instanceof Y.Array)) return undefined;
    const raw = stored.toArray();
    // Pairs only: an odd trailing number is dropped, not drawn to (0, 0).
    points = raw.slice(0, Math.min(raw.length - (raw.length % 2), 2 * maxPenPoints)).map(coordinate);
    if (points.length < 2) return undefined;
  } else {
    points = ['x1', 'y1', 'x2', 'y2'].map((key) => coordinate(record.get(key)));
  }
  return {
    id,
    kind: kind as ShapeKind,
    color: typeof color === 'string' && colorPattern.test(color) ? color : palette[0],
    width: Math.max(1, Math.min(40, finite(record.get('width'), 4))),
    z: finite(record.get('z')),
    by: typeof by === 'string' ? by.slice(0, 40) : '',
    points,
  };
}

/** Painter's order: lower z first, then id. */
export function compareShapes(a: Pick<Shape, 'z' | 'id'>, b: Pick<Shape, 'z' | 'id'>): number {
  return a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
