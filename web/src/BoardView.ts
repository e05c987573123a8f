/**
 * Draws the board's shapes as SVG paths, one element per shape keyed by `data-shape-id`, updating
 * only what changed once per animation frame. The page is a fixed 1600×1000 sheet scaled to fit.
 */
import type { Board } from './Board.ts';
import { h, svg } from './dom.ts';
import { shapePath } from './geometry.ts';
import { boardHeight, boardWidth, compareShapes, type Shape } from './shapes.ts';

export class BoardView {
  /** The fitted sheet: the SVG and the cursor layer share its box. */
  readonly paper: HTMLDivElement;
  readonly svg: SVGSVGElement;
  readonly overlay: HTMLDivElement;
  private readonly layer: SVGGElement;
  private readonly board: Board;
  private readonly elements = new Map<string, { path: SVGPathElement; z: number }>();
  private readonly dirty = new Set<string>();
  private frame = 0;
  private readonly unsubscribe: () => void;

  constructor(board: Board) {
    this.board = board;
    this.svg = svg('svg', {
      class: 'board',
      viewBox: `0 0 ${boardWidth} ${boardHeight}`,
      role: 'img',
      'aria-label': 'shared whiteboard',
    });
    this.layer = svg('g', { class: 'shapes' });
    this.svg.append(this.layer);
    this.overlay = h('div', { class: 'cursors', 'aria-hidden': 'true' });
    this.paper = h('div', { class: 'paper' }, this.svg, this.overlay);
    for (const shape of board.all()) this.draw(shape);
    this.unsubscribe = board.onChange((ids) => {
      for (const id of ids) this.dirty.add(id);
      this.frame ||= requestAnimationFrame(() => this.flush());
    });
  }

  /** Board coordinates of a pointer event (the sheet may be scaled and letterboxed). */
  toBoard(event: { clientX: number; clientY: number }): { x: number; y: number } {
    const rect = this.svg.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * boardWidth,
      y: ((event.clientY - rect.top) / rect.height) * boardHeight,
    };
  }

  /** Board units per screen pixel right now (for hit radii given in pixels). */
  get unitsPerPixel(): number {
    return boardWidth / Math.max(1, this.svg.getBoundingClientRect().width);
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.unsubscribe();
  }

  private flush(): void {
    this.frame = 0;
    for (const id of this.dirty) {
      const shape = this.board.get(id);
      if (shape) this.draw(shape);
      else this.remove(id);
    }
    this.dirty.clear();
  }

  private draw(shape: Shape): void {
    let entry = this.elements.get(shape.id);
    if (!entry) {
      const path = svg('path', { 'data-shape-id': shape.id });
      entry = { path, z: shape.z };
      this.elements.set(shape.id, entry);
      this.place(shape.id, entry);
    } else if (entry.z !== shape.z) {
      entry.z = shape.z;
      this.place(shape.id, entry);
    }
    const { path } = entry;
    path.setAttribute('d', shapePath(shape));
    path.setAttribute('stroke', shape.color);
    path.setAttribute('stroke-width', String(shape.width));
    path.setAttribute('data-kind', shape.kind);
    path.setAttribute('data-by', shape.by);
  }

  /** Keeps painting order: most new shapes go on top, a merged offline one may land below. */
  private place(id: string, entry: { path: SVGPathElement; z: number }): void {
    let before: Element | null = null;
    for (const child of this.layer.children) {
      const otherId = child.getAttribute('data-shape-id')!;
      const other = this.elements.get(otherId);
      if (otherId !== id && other && compareShapes({ z: entry.z, id }, { z: other.z, id: otherId }) < 0) {
        before = child;
        break;
      }
    }
    this.layer.insertBefore(entry.path, before);
  }

  private remove(id: string): void {
    this.elements.get(id)?.path.remove();
    this.elements.delete(id);
  }
}
