/**
 * The benchmark harness still runs: every workload at tiny sizes against its baseline
 * (`node bench/run.ts --smoke`, ≈10 s), each row with a figure on both sides. Nothing here
 * judges speed: CI machines are shared, and the real runs are `npm run bench` by hand.
 * `--source` runs tutorboard from its sources: building dist/ here would race the package test,
 * which rebuilds it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../utils/server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run bench', () => {
  it('runs every workload against its baseline and prints one table', async () => {
    const json = join(tempDir(), 'bench.json');
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'bench/run.ts'), '--smoke', '--source', '--json', json], { cwd: root, timeout: 110_000 });
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      sections: Array<{ title: string; rows: Array<{ measure: string; tutorboard: number; baseline: number }> }>;
    };
    const titles = report.sections.map((s) => s.title).join('\n');
    for (const workload of ['classroom', 'cold first sync', 'joiners', 'idle connections', 'reconnecting', 'tutor channel', 'acknowledged updates']) {
      expect(titles).toContain(workload);
    }
    for (const section of report.sections) {
      for (const row of section.rows) {
        expect(Number.isFinite(row.tutorboard), `${section.title}: ${row.measure} (tutorboard)`).toBe(true);
        expect(Number.isFinite(row.baseline), `${section.title}: ${row.measure} (baseline)`).toBe(true);
      }
    }
    expect(stdout).toContain('| workload | measure | tutorboard | baseline | ratio | target |');
  }, 120_000);
});
