/**
 * Where a server's CPU went: self time per function of a V8 `.cpuprofile` (from
 * `npm run bench -- --profile`, or any `node --cpu-prof` run), largest first, as a share of the
 * busy (non-idle) time, plus the same grouped by package.
 *
 *   node bench/profileSummary.ts FILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function and per package, excluding idle and program time. */
export function summarize(profile: Profile): { busyMs: number; functions: SelfTime[]; packages: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, SelfTime>();
  const packages = new Map<string, SelfTime>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busyUs += us;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '');
    const where = file ? `${file.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const name = functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, ms: 0, share: 0 };
    entry.ms += us / 1000;
    functions.set(key, entry);
    const pkg = !url ? name.startsWith('(') ? name : 'node internals' : url.includes('/node_modules/') ? url.replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1') : url.startsWith('node:') ? 'node internals' : 'tutorboard / bench';
    const group = packages.get(pkg) ?? { name: pkg, where: '', ms: 0, share: 0 };
    group.ms += us / 1000;
    packages.set(pkg, group);
  }
  const finish = (map: Map<string, SelfTime>) =>
    [...map.values()].map((e) => ({ ...e, share: e.ms / (busyUs / 1000) })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busyUs / 1000, functions: finish(functions), packages: finish(packages) };
}

if (import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
  const { busyMs, functions, packages } = summarize(profile);
  const top = Number(values.top);
  console.log(`busy ${busyMs.toFixed(0)} ms\n\nself time by function`);
  for (const f of functions.slice(0, top)) console.log(`${(f.share * 100).toFixed(1).padStart(5)} %  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`);
  console.log('\nself time by package');
  for (const p of packages.slice(0, 12)) console.log(`${(p.share * 100).toFixed(1).padStart(5)} %  ${p.ms.toFixed(0).padStart(7)} ms  ${p.name}`);
}
