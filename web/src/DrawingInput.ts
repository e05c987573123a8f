/**
 * Pointer input on the board: mouse, pen and touch alike (pointer events, one pointer at a time).
 * Samples are gathered per animation frame and written as one transaction, so a stroke streams
 * to the other windows while it is drawn and is undone as one step.
 */
import type { Board } from './Board.ts';
import type { BoardView } from './BoardView.ts';
import { hitsShape } from './geometry.ts';
import type { ShapeKind } from './shapes.ts';

export type Tool = ShapeKind | 'eraser';

export interface ToolState {
  tool: Tool;
  color: string;
  width: number;
}

export interface DrawingInputOptions {
  tools: () => ToolState;
  /** Observers: nothing is written; a press calls `onRefused` instead. */
  readOnly: boolean;
  /** Where this user's pointer is on the board (null when it left), for live cursors. */
  onCursor: (position: { x: number; y: number } | null) => void;
  onRefused: () => void;
}

/** Pen samples closer than this many screen pixels to the previous one are dropped. */
const minSampleDistancePx = 1.5;
const eraserRadiusPx = 10;

export class DrawingInput {
  private readonly board: Board;
  private readonly view: BoardView;
  private readonly options: DrawingInputOptions;
  private gesture: { pointerId: number; tool: Tool; shapeId?: string; last?: [number, number] } | undefined;
  private pending: number[] = [];
  private frame = 0;
  private readonly abort = new AbortController();

  constructor(board: Board, view: BoardView, options: DrawingInputOptions) {
    this.board = board;
    this.view = view;
    this.options = options;
    const target = view.svg;
    const signal = this.abort.signal;
    target.addEventListener('pointerdown', (e) => this.down(e), { signal });
    target.addEventListener('pointermove', (e) => this.move(e), { signal });
    target.addEventListener('pointerup', (e) => this.up(e), { signal });
    target.addEventListener('pointercancel', (e) => this.up(e), { signal });
    target.addEventListener('lostpointercapture', (e) => this.up(e), { signal });
    target.addEventListener('pointerleave', (e) => e.pointerType === 'mouse' && !this.gesture && options.onCursor(null), { signal });
  }

  destroy(): void {
    this.abort.abort();
    cancelAnimationFrame(this.frame);
  }

  private down(event: PointerEvent): void {
    if (!event.isPrimary || (event.pointerType === 'mouse' && event.button !== 0)) return;
    event.preventDefault();
    if (this.options.readOnly) {
      this.options.onRefused();
      return;
    }
    this.view.svg.setPointerCapture(event.pointerId);
    const { tool, color, width } = this.options.tools();
    const { x, y } = this.view.toBoard(event);
    this.options.onCursor({ x, y });
    this.board.endGesture();
    if (tool === 'eraser') {
      this.gesture = { pointerId: event.pointerId, tool };
      this.eraseAt(x, y);
      return;
    }
    this.gesture = { pointerId: event.pointerId, tool, shapeId: this.board.start(tool, { color, width }, x, y), last: [x, y] };
  }

  private move(event: PointerEvent): void {
    if (!event.isPrimary) return;
    const position = this.view.toBoard(event);
    if (!this.options.readOnly) this.options.onCursor(position);
    const gesture = this.gesture;
    if (!gesture || gesture.pointerId !== event.pointerId) return;
    // Coalesced events carry the samples the browser merged into this one (smoother fast strokes).
    const samples = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const sample of samples.length > 0 ? samples : [event]) {
      const { x, y } = this.view.toBoard(sample);
      if (gesture.tool === 'eraser') {
        this.eraseAt(x, y);
      } else if (gesture.tool === 'pen') {
        const [lx, ly] = gesture.last!;
        if (Math.hypot(x - lx, y - ly) < minSampleDistancePx * this.view.unitsPerPixel) continue;
        gesture.last = [x, y];
        this.pending.push(round(x), round(y));
      } else {
        this.pending = [round(x), round(y)];
      }
    }
    this.frame ||= requestAnimationFrame(() => this.flush());
  }

  private up(event: PointerEvent): void {
    const gesture = this.gesture;
    if (!gesture || gesture.pointerId !== event.pointerId) return;
    if (event.type === 'pointerup' && gesture.tool !== 'eraser' && gesture.tool !== 'pen') {
      const { x, y } = this.view.toBoard(event);
      this.pending = [round(x), round(y)];
    }
    this.flush();
    this.gesture = undefined;
    this.board.endGesture();
    if (event.pointerType !== 'mouse') this.options.onCursor(null);
  }

  private flush(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    const gesture = this.gesture;
    if (!gesture?.shapeId || this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    // A full stroke (or one erased under our pen) goes on as a new one from the last point.
    if (!this.board.extend(gesture.shapeId, points) && gesture.tool === 'pen') {
      const { color, width } = this.options.tools();
      gesture.shapeId = this.board.start('pen', { color, width }, points[points.length - 2], points[points.length - 1]);
    }
  }

  private eraseAt(x: number, y: number): void {
    const radius = eraserRadiusPx * this.view.unitsPerPixel;
    const hits = this.board.all().filter((shape) => hitsShape(shape, x, y, radius));
    this.board.erase(hits.map((shape) => shape.id));
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
