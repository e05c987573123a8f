/**
 * The classroom mix against load, as an SVG (no dependency): update latency p50/p99 (log scale)
 * and server CPU, for tutorboard and bare Hocuspocus, from a `--json` file of a run that
 * included several classroom sizes (`npm run bench -- --full --json FILE`).
 *
 *   node bench/chart.ts FILE.json docs/benchmarks-classroom.svg
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { median } from './harness/stats.ts';

interface Results {
  machine: { cpu: string; cores: number; node: string };
  results: Array<{ id: string; tutorboard: Array<Record<string, number>>; baselineRuns: Array<Record<string, number>> }>;
}

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<[number, number]>;
}

const width = 760;
const height = 345;
const panel = { top: 40, bottom: 270 };
const panels = [
  { left: 60, right: 400 },
  { left: 470, right: 730 },
];

function scale(domain: [number, number], range: [number, number], log = false) {
  const f = log ? Math.log10 : (x: number) => x;
  return (x: number) => range[0] + ((f(x) - f(domain[0])) / (f(domain[1]) - f(domain[0]))) * (range[1] - range[0]);
}

function lines(series: Series[], x: (v: number) => number, y: (v: number) => number): string {
  return series
    .map((s) => {
      const d = s.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
      const dots = s.points.map(([px, py]) => `<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${s.color}"/>`).join('');
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>${dots}`;
    })
    .join('\n');
}

function axes(left: number, right: number, xTicks: number[], x: (v: number) => number, yTicks: number[], y: (v: number) => number, yLabel: string, title: string): string {
  const parts = [
    `<text x="${(left + right) / 2}" y="${panel.top - 18}" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<line x1="${left}" y1="${panel.bottom}" x2="${right}" y2="${panel.bottom}" stroke="#333"/>`,
    `<line x1="${left}" y1="${panel.top}" x2="${left}" y2="${panel.bottom}" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${panel.bottom + 34}" text-anchor="middle">clients (30 per board)</text>`,
    `<text transform="translate(${left - 44},${(panel.top + panel.bottom) / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`,
  ];
  for (const t of xTicks) parts.push(`<text x="${x(t)}" y="${panel.bottom + 16}" text-anchor="middle">${t}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${left}" y1="${y(t)}" x2="${right}" y2="${y(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  return parts.join('\n');
}

export function chart(results: Results): string {
  const sizes = results.results
    .filter((r) => /^classroom-\d+$/.test(r.id))
    .map((r) => ({ clients: Number(r.id.split('-')[1]) * 30, t: r.tutorboard, b: r.baselineRuns }))
    .sort((a, b) => a.clients - b.clients);
  if (sizes.length < 2) throw new Error('the results hold fewer than two classroom sizes: run with --full');
  const pick = (runs: Array<Record<string, number>>, key: string) => median(runs.map((r) => r[key]));
  const latency: Series[] = [
    { label: 'tutorboard p99', color: '#1f6feb', dashed: false, points: sizes.map((s) => [s.clients, pick(s.t, 'p99Ms')]) },
    { label: 'tutorboard p50', color: '#1f6feb', dashed: true, points: sizes.map((s) => [s.clients, pick(s.t, 'p50Ms')]) },
    { label: 'bare Hocuspocus p99', color: '#d1242f', dashed: false, points: sizes.map((s) => [s.clients, pick(s.b, 'p99Ms')]) },
    { label: 'bare Hocuspocus p50', color: '#d1242f', dashed: true, points: sizes.map((s) => [s.clients, pick(s.b, 'p50Ms')]) },
  ];
  const cpu: Series[] = [
    { label: 'tutorboard', color: '#1f6feb', dashed: false, points: sizes.map((s) => [s.clients, pick(s.t, 'cpuPercent')]) },
    { label: 'bare Hocuspocus', color: '#d1242f', dashed: false, points: sizes.map((s) => [s.clients, pick(s.b, 'cpuPercent')]) },
  ];
  const xs = sizes.map((s) => s.clients);
  const xDomain: [number, number] = [0, Math.max(...xs) * 1.05];
  const allLatency = latency.flatMap((s) => s.points.map((p) => p[1]));
  const yLatency: [number, number] = [Math.max(0.5, Math.min(...allLatency) / 1.5), Math.max(...allLatency) * 1.5];
  const yCpu: [number, number] = [0, Math.max(100, ...cpu.flatMap((s) => s.points.map((p) => p[1]))) * 1.05];
  const [a, b] = panels;
  const xa = scale(xDomain, [a.left, a.right]);
  const xb = scale(xDomain, [b.left, b.right]);
  const ya = scale(yLatency, [panel.bottom, panel.top], true);
  const yb = scale(yCpu, [panel.bottom, panel.top]);
  const logTicks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000].filter((t) => t >= yLatency[0] && t <= yLatency[1]);
  const cpuTicks = [0, 25, 50, 75, 100, 125, 150, 175, 200].filter((t) => t <= yCpu[1]);
  const legend = latency
    .map((s, i) => `<line x1="${70 + i * 170}" y1="${height - 14}" x2="${96 + i * 170}" y2="${height - 14}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/><text x="${102 + i * 170}" y="${height - 10}">${s.label}</text>`)
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
${axes(a.left, a.right, xs, xa, logTicks, ya, 'update latency, ms (log)', 'Classroom mix: writer 10 Hz, cursors 5 Hz')}
${lines(latency, xa, ya)}
${axes(b.left, b.right, xs, xb, cpuTicks, yb, 'server CPU, % of a core', 'Server CPU')}
${lines(cpu, xb, yb)}
${legend}
<text x="${width - 6}" y="${height - 30}" text-anchor="end" font-size="10" fill="#666">${results.machine.cores} × ${results.machine.cpu}, Node ${results.machine.node}; medians of interleaved runs</text>
</svg>
`;
}

if (import.meta.filename === process.argv[1]) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error('usage: node bench/chart.ts RESULTS.json OUT.svg');
  writeFileSync(output, chart(JSON.parse(readFileSync(input, 'utf8')) as Results));
  console.log(`wrote ${output}`);
}
