/**
 * The benchmark report: the machine it ran on and one table of figures, ratios and targets.
 */
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import type { Row } from './suite.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  somaxconn: number | undefined;
  loadAverage: number[];
}

export function describeMachine(): Machine {
  let somaxconn: number | undefined;
  try {
    somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    somaxconn = undefined;
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    somaxconn,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function machineLine(machine: Machine): string {
  return `${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB (${(freemem() / 1024 ** 3).toFixed(1)} free), Linux ${machine.kernel}, Node ${machine.node}, somaxconn ${machine.somaxconn ?? '?'}, load average ${machine.loadAverage.join(' ')}`;
}

export interface ReportSection {
  title: string;
  baseline: string;
  rows: Row[];
}

function figure(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

/** One Markdown table for every workload (readable as plain text too). */
export function table(sections: readonly ReportSection[]): string {
  const lines = ['| workload | measure | tutorboard | baseline | ratio | target |', '| --- | --- | ---: | ---: | ---: | --- |'];
  for (const section of sections) {
    section.rows.forEach((row, i) => {
      const ratio = Number.isFinite(row.tutorboard / row.baseline) && row.baseline !== 0 ? `${(row.tutorboard / row.baseline).toFixed(2)}×` : '–';
      const target = row.target ? `${row.target.met ? 'met' : 'MISSED'} (${row.target.text})` : '';
      const name = i === 0 ? `${section.title} (vs ${section.baseline})` : '';
      lines.push(`| ${name} | ${row.measure} | ${figure(row.tutorboard, row.unit)} | ${figure(row.baseline, row.unit)} | ${ratio} | ${target} |`);
    });
  }
  return lines.join('\n');
}
