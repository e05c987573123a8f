/**
 * The whiteboard's model on a Y.Doc: a Y.Map of shapes (top-level name `shapes`) plus an undo
 * manager that only tracks this window's own edits, one undo step per gesture. No DOM here.
 */
import * as Y from 'yjs';
import { compareShapes, maxPenPoints, readShape, type Shape, type ShapeKind, type ShapeRecord, type ShapeStyle } from './shapes.ts';

/** Which shapes changed: their ids (added, changed or removed). */
export type ChangeListener = (ids: Set<string>) => void;

export class Board {
  readonly doc: Y.Doc;
  readonly shapes: Y.Map<ShapeRecord>;
  readonly undoManager: Y.UndoManager;
  /** The origin of every local edit; the undo manager tracks this origin only, never remote or restore edits. */
  readonly origin: { readonly board: true } = { board: true };
  private readonly author: string;
  private readonly listeners = new Set<ChangeListener>();
  private counter = 0;
  private maxZ = 0;

  constructor(doc: Y.Doc, author: string) {
    this.doc = doc;
    this.author = author;
    this.shapes = doc.getMap<ShapeRecord>('shapes');
    // Gestures are closed explicitly (stopCapturing), however long a stroke takes.
    this.undoManager = new Y.UndoManager(this.shapes, { trackedOrigins: new Set([this.origin]), captureTimeout: Infinity });
    for (const record of this.shapes.values()) this.noteZ(record);
    this.shapes.observeDeep((events) => {
      const ids = new Set<string>();
      for (const event of events) {
        if (event.target === this.shapes) {
          for (const key of event.changes.keys.keys()) {
            ids.add(key);
            const record = this.shapes.get(key);
            if (record) this.noteZ(record);
          }
        } else if (event.path.length > 0) {
          ids.add(String(event.path[0]));
        }
      }
      for (const listener of this.listeners) listener(ids);
    });
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(id: string): Shape | undefined {
    return readShape(id, this.shapes.get(id));
  }

  /** Every drawable shape, in painting order. */
  all(): Shape[] {
    const shapes: Shape[] = [];
    for (const [id, record] of this.shapes) {
      const shape = readShape(id, record);
      if (shape) shapes.push(shape);
    }
    return shapes.sort(compareShapes);
  }

  /** Starts a shape at (x, y); returns its id. */
  start(kind: ShapeKind, style: ShapeStyle, x: number, y: number): string {
    this.undoManager.stopCapturing();
    const id = `${this.doc.clientID.toString(36)}-${(this.counter++).toString(36)}`;
    this.doc.transact(() => {
      const record: ShapeRecord = new Y.Map();
      record.set('kind', kind);
      record.set('color', style.color);
      record.set('width', style.width);
      record.set('z', this.maxZ + 1);
      record.set('by', this.author);
      if (kind === 'pen') {
        const points = new Y.Array<number>();
        points.push([x, y]);
        record.set('points', points);
      } else {
        for (const [key, value] of [['x1', x], ['y1', y], ['x2', x], ['y2', y]] as const) record.set(key, value);
      }
      this.shapes.set(id, record);
    }, this.origin);
    return id;
  }

  /**
   * Pen: appends `points` (x, y pairs). Other kinds: moves the end to the last pair. Returns false
   * when the shape is gone (erased or restored away meanwhile) or a stroke is full.
   */
  extend(id: string, points: number[]): boolean {
    const record = this.shapes.get(id);
    if (!record || points.length < 2) return false;
    const stored = record.get('points');
    if (stored instanceof Y.Array) {
      const room = 2 * maxPenPoints - stored.length;
      if (room <= 0) return false;
      this.doc.transact(() => stored.push(points.slice(0, room - (room % 2))), this.origin);
      return true;
    }
    const [x, y] = points.slice(-2);
    this.doc.transact(() => {
      record.set('x2', x);
      record.set('y2', y);
    }, this.origin);
    return true;
  }

  /** Closes the current gesture: the next edit is a new undo step. */
  endGesture(): void {
    this.undoManager.stopCapturing();
  }

  erase(ids: Iterable<string>): void {
    const present = [...ids].filter((id) => this.shapes.has(id));
    if (present.length === 0) return;
    this.doc.transact(() => {
      for (const id of present) this.shapes.delete(id);
    }, this.origin);
  }

  /** Removes everything (everyone's shapes); one undo step brings it all back. */
  clear(): void {
    if (this.shapes.size === 0) return;
    this.undoManager.stopCapturing();
    this.doc.transact(() => {
      for (const id of [...this.shapes.keys()]) this.shapes.delete(id);
    }, this.origin);
    this.undoManager.stopCapturing();
  }

  undo(): void {
    this.undoManager.stopCapturing();
    this.undoManager.undo();
  }

  redo(): void {
    this.undoManager.redo();
  }

  get canUndo(): boolean {
    return this.undoManager.canUndo();
  }

  get canRedo(): boolean {
    return this.undoManager.canRedo();
  }

  private noteZ(record: ShapeRecord): void {
    const z = record.get('z');
    if (typeof z === 'number' && Number.isFinite(z) && z > this.maxZ) this.maxZ = z;
  }
}
