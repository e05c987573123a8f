/**
 * SVG path data for each kind of shape, and hit-testing for the eraser. Pure functions in board
 * units.
 */
import type { Shape } from './shapes.ts';

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * A smooth line through the points without pressure: quadratic curves whose control points are
 * the samples and whose ends are the midpoints between them (the usual freehand smoothing).
 */
export function smoothPath(points: readonly number[]): string {
  const n = points.length / 2;
  if (n === 0) return '';
  const x = (i: number) => round(points[2 * i]);
  const y = (i: number) => round(points[2 * i + 1]);
  // A single tap is a dot: a zero-length segment with round caps.
  if (n === 1) return `M${x(0)} ${y(0)}l0.1 0`;
  if (n === 2) return `M${x(0)} ${y(0)}L${x(1)} ${y(1)}`;
  let d = `M${x(0)} ${y(0)}`;
  for (let i = 1; i < n - 1; i += 1) {
    d += `Q${x(i)} ${y(i)} ${round((points[2 * i] + points[2 * i + 2]) / 2)} ${round((points[2 * i + 1] + points[2 * i + 3]) / 2)}`;
  }
  return `${d}L${x(n - 1)} ${y(n - 1)}`;
}

/** Path data for any shape. */
export function shapePath(shape: Pick<Shape, 'kind' | 'points' | 'width'>): string {
  const [x1, y1, x2, y2] = shape.points;
  switch (shape.kind) {
    case 'pen':
      return smoothPath(shape.points);
    case 'line':
      return `M${round(x1)} ${round(y1)}L${round(x2)} ${round(y2)}`;
    case 'arrow':
      return `M${round(x1)} ${round(y1)}L${round(x2)} ${round(y2)}${arrowHead(x1, y1, x2, y2, shape.width)}`;
    case 'rect': {
      const [left, top, right, bottom] = [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)].map(round);
      return `M${left} ${top}H${right}V${bottom}H${left}Z`;
    }
    case 'ellipse': {
      const [cx, cy, rx, ry] = [(x1 + x2) / 2, (y1 + y2) / 2, Math.abs(x2 - x1) / 2, Math.abs(y2 - y1) / 2].map(round);
      if (rx === 0 || ry === 0) return `M${round(x1)} ${round(y1)}L${round(x2)} ${round(y2)}`;
      return `M${cx - rx} ${cy}A${rx} ${ry} 0 1 0 ${cx + rx} ${cy}A${rx} ${ry} 0 1 0 ${cx - rx} ${cy}Z`;
    }
  }
}

/** Two short strokes back from the tip, ±28°, scaled with the line width. */
function arrowHead(x1: number, y1: number, x2: number, y2: number, width: number): string {
  const length = Math.hypot(x2 - x1, y2 - y1);
  if (length < 1) return '';
  const size = Math.min(length * 0.6, 14 + width * 3);
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const wing = (sign: number) => {
    const a = angle + Math.PI - sign * (28 * Math.PI) / 180;
    return `${round(x2 + size * Math.cos(a))} ${round(y2 + size * Math.sin(a))}`;
  };
  return `M${wing(1)}L${round(x2)} ${round(y2)}L${wing(-1)}`;
}

/** Distance from (px, py) to the segment (ax, ay)–(bx, by). */
export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / lengthSquared));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Whether a circle of `radius` at (x, y) touches the shape's stroke (outlines only: shapes are not filled). */
export function hitsShape(shape: Pick<Shape, 'kind' | 'points' | 'width'>, x: number, y: number, radius: number): boolean {
  const reach = radius + shape.width / 2;
  const p = shape.points;
  const [x1, y1, x2, y2] = p;
  switch (shape.kind) {
    case 'pen':
      if (p.length === 2) return Math.hypot(x - p[0], y - p[1]) <= reach;
      for (let i = 0; i + 3 < p.length; i += 2) {
        if (segmentDistance(x, y, p[i], p[i + 1], p[i + 2], p[i + 3]) <= reach) return true;
      }
      return false;
    case 'line':
    case 'arrow':
      return segmentDistance(x, y, x1, y1, x2, y2) <= reach;
    case 'rect': {
      const corners: Array<[number, number]> = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
      return corners.some(([ax, ay], i) => {
        const [bx, by] = corners[(i + 1) % 4];
        return segmentDistance(x, y, ax, ay, bx, by) <= reach;
      });
    }
    case 'ellipse': {
      const cx = (x1 + x2) / 2;
      const cy = (y1 + y2) / 2;
      const rx = Math.abs(x2 - x1) / 2;
      const ry = Math.abs(y2 - y1) / 2;
      if (rx < 1 || ry < 1) return segmentDistance(x, y, x1, y1, x2, y2) <= reach;
      // Distance to the outline along the ray from the centre: exact for circles, close enough otherwise.
      const angle = Math.atan2((y - cy) / ry, (x - cx) / rx);
      return Math.hypot(x - (cx + rx * Math.cos(angle)), y - (cy + ry * Math.sin(angle))) <= reach;
    }
  }
}
