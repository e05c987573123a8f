/**
 * `npm run bench`: every workload of issue 11 against its baseline, in one run, one table.
 *
 *   npm run bench                      quick sizes (≤ 3 min)
 *   npm run bench -- --full            full sizes (10k idle connections, 3000 reconnecting, 20 boards × 30, …)
 *   npm run bench -- --only joiners-1mb,cold-sync
 *   npm run bench -- --profile         servers write .cpuprofile files (bench/profiles/); a summary is printed
 *   npm run bench -- --json out.json   also writes every run's figures (bench/chart.ts reads them)
 *   npm run bench -- --source          runs tutorboard from its TypeScript sources, not dist/
 *   npm run bench -- --repo DIR        runs tutorboard from another checkout (built there), e.g. to
 *                                      measure an older version with this harness
 *
 * Every server runs in its own child process with bench/harness/probe.ts preloaded, so CPU,
 * event-loop blocks and memory are the server's own; the light clients run here. Passes are
 * interleaved (tutorboard, baseline, tutorboard, baseline…) so that the machine's drift hits
 * both alike; the table shows medians of the passes. tutorboard runs as it ships: the run first
 * builds dist/ (`npm run build`, about a second).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize } from './profileSummary.ts';
import { describeMachine, machineLine, table, type ReportSection } from './harness/report.ts';
import { buildTutorboard, runTutorboardFrom, runTutorboardFromSources, type ServerKind } from './harness/ServerProcess.ts';
import { medianOf } from './harness/stats.ts';
import { suite, type Size } from './harness/suite.ts';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    json: { type: 'string' },
    source: { type: 'boolean', default: false },
    repo: { type: 'string' },
  },
});
const size: Size = values.smoke ? 'smoke' : values.full ? 'full' : 'quick';
const only = values.only?.split(',').map((s) => s.trim());
const workloads = suite(size).filter((w) => !only || only.some((o) => w.id === o || w.id.startsWith(`${o}-`)));
if (workloads.length === 0) throw new Error(`no workload matches --only ${values.only}; ids: ${suite(size).map((w) => w.id).join(', ')}`);
const profileRoot = fileURLToPath(new URL('./profiles/', import.meta.url));

if (values.repo) runTutorboardFrom(values.repo);
if (values.source) runTutorboardFromSources();
else buildTutorboard();
const machine = describeMachine();
const started = performance.now();
console.error(`tutorboard benchmarks, ${size} sizes, on ${machineLine(machine)}`);
const sections: ReportSection[] = [];
const results: Array<{ id: string; title: string; baseline: ServerKind; tutorboard: Array<Record<string, number>>; baselineRuns: Array<Record<string, number>> }> = [];
for (const workload of workloads) {
  const runs = { tutorboard: [] as Array<Record<string, number>>, baseline: [] as Array<Record<string, number>> };
  for (let pass = 0; pass < workload.passes; pass += 1) {
    for (const kind of ['tutorboard', workload.baseline] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
      const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileRoot, `${workload.id}-${kind}`)}`] : [];
      const runStarted = performance.now();
      try {
        const result = await workload.run(kind, { dir, nodeArgs });
        (kind === 'tutorboard' ? runs.tutorboard : runs.baseline).push(result);
        const shown = Object.entries(result).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`).join(', ');
        console.error(`  ${workload.id} ${kind} pass ${pass + 1}: ${shown} (${((performance.now() - runStarted) / 1000).toFixed(1)} s)`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const worst = (list: Array<Record<string, number>>) => Object.fromEntries(Object.keys(list[0]).map((k) => [k, Math.max(...list.map((r) => r[k]))]));
  const rows = workload.rows(medianOf(runs.tutorboard), medianOf(runs.baseline), { t: worst(runs.tutorboard), b: worst(runs.baseline) });
  sections.push({ title: workload.title, baseline: workload.baseline === 'relay' ? 'raw ws relay' : workload.baseline === 'bare-db' ? 'bare + extension-database' : 'bare Hocuspocus', rows });
  results.push({ id: workload.id, title: workload.title, baseline: workload.baseline, tutorboard: runs.tutorboard, baselineRuns: runs.baseline });
}
const seconds = (performance.now() - started) / 1000;
console.log(`\n${size} run, ${seconds.toFixed(0)} s, medians of interleaved passes; ${machineLine(describeMachine())}\n`);
console.log(table(sections));
if (values.json) writeFileSync(values.json, `${JSON.stringify({ size, machine, seconds, sections, results }, null, 2)}\n`);
if (values.profile && existsSync(profileRoot)) {
  for (const folder of readdirSync(profileRoot).filter((f) => f.endsWith('-tutorboard'))) {
    for (const file of readdirSync(join(profileRoot, folder))) {
      const { busyMs, functions } = summarize(JSON.parse(readFileSync(join(profileRoot, folder, file), 'utf8')));
      console.log(`\n${folder}/${file}: busy ${busyMs.toFixed(0)} ms; top self time:`);
      for (const f of functions.slice(0, 8)) console.log(`  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
    }
  }
}
