/**
 * The workloads of issue 11, each with its baseline, its sizes (smoke for CI, quick for
 * `npm run bench`, full for `--full`), how its figures become table rows, and its targets.
 */
import { acknowledgedUpdates } from '../workloads/acknowledgedUpdates.ts';
import { classroom } from '../workloads/classroom.ts';
import { coldSync } from '../workloads/coldSync.ts';
import { idleConnections } from '../workloads/idleConnections.ts';
import { joiners } from '../workloads/joiners.ts';
import { reconnectStorm } from '../workloads/reconnectStorm.ts';
import { tutorRooms } from '../workloads/tutorRooms.ts';
import type { ServerKind } from './ServerProcess.ts';

export type Size = 'smoke' | 'quick' | 'full';

export interface RunContext {
  dir: string;
  nodeArgs: string[];
}

export interface Row {
  measure: string;
  unit: string;
  tutorboard: number;
  baseline: number;
  /** Shown when the row has a target; true when tutorboard meets it. */
  target?: { text: string; met: boolean };
}

export interface Workload {
  id: string;
  title: string;
  baseline: ServerKind;
  /** Interleaved passes (tutorboard, baseline, tutorboard, baseline…). */
  passes: number;
  run(kind: ServerKind, context: RunContext): Promise<Record<string, number>>;
  /** Rows from the medians of the passes (`worst` holds the maximum of each field over the passes). */
  rows(t: Record<string, number>, b: Record<string, number>, worst: { t: Record<string, number>; b: Record<string, number> }): Row[];
}

const MB = 1024 * 1024;
const le = (value: number, limit: number) => Number.isFinite(value) && value <= limit;

function classroomWorkload(boards: number, size: Size): Workload {
  const timing = size === 'smoke' ? { warmupMs: 300, measureMs: 700 } : size === 'quick' ? { warmupMs: 2000, measureMs: 5000 } : { warmupMs: 3000, measureMs: 10_000 };
  const clients = size === 'smoke' ? 5 : 30;
  return {
    id: `classroom-${boards}`,
    title: `classroom ${boards} boards × ${clients} clients, writer 10 Hz, cursors 5 Hz`,
    baseline: 'bare',
    passes: size === 'full' ? 3 : size === 'quick' ? 2 : 1,
    run: (kind, { dir, nodeArgs }) => classroom(kind, { boards, clients, writerHz: 10, cursorHz: 5, ...timing, dir, nodeArgs }),
    rows: (t, b) => {
      const cpuTarget =
        boards === 20
          ? { text: '≤ 70 %', met: le(t.cpuPercent, 70) }
          : boards === 10
            ? { text: '≤ 0.7× bare', met: le(t.cpuPercent / b.cpuPercent, 0.7) }
            : undefined;
      return [
        { measure: 'server CPU', unit: '% of a core', tutorboard: t.cpuPercent, baseline: b.cpuPercent, target: cpuTarget },
        { measure: 'update latency p50', unit: 'ms', tutorboard: t.p50Ms, baseline: b.p50Ms },
        { measure: 'update latency p99', unit: 'ms', tutorboard: t.p99Ms, baseline: b.p99Ms, target: boards === 20 ? { text: '≤ 25 ms', met: le(t.p99Ms, 25) } : undefined },
        { measure: 'longest loop block', unit: 'ms', tutorboard: t.loopMaxMs, baseline: b.loopMaxMs },
        { measure: 'awareness frames received', unit: '/s', tutorboard: t.awarenessPerSecond, baseline: b.awarenessPerSecond },
      ];
    },
  };
}

function joinersWorkload(mb: number, size: Size): Workload {
  const bytes = size === 'smoke' ? 64 * 1024 : mb * MB;
  const count = size === 'smoke' ? 5 : 30;
  const blockLimit = mb >= 5 ? 100 : 50;
  const timeLimit = mb >= 5 ? 1000 : 300;
  return {
    id: `joiners-${mb}mb`,
    title: `${size === 'smoke' ? '64 KB' : `${mb} MB`} board, ${count} joiners at once`,
    baseline: 'bare',
    passes: size === 'smoke' ? 1 : 2,
    run: (kind, { dir, nodeArgs }) => joiners(kind, { boardBytes: bytes, joiners: count, bursts: size === 'full' ? 3 : size === 'quick' ? 2 : 1, dir, nodeArgs }),
    rows: (t, b) => [
      { measure: 'last joiner has the board', unit: 'ms', tutorboard: t.lastMs, baseline: b.lastMs, target: { text: `≤ ${timeLimit} ms`, met: le(t.lastMs, timeLimit) } },
      { measure: 'longest loop block', unit: 'ms', tutorboard: t.loopMaxMs, baseline: b.loopMaxMs, target: { text: `≤ ${blockLimit} ms`, met: le(t.loopMaxMs, blockLimit) } },
    ],
  };
}

export function suite(size: Size): Workload[] {
  const smoke = size === 'smoke';
  const full = size === 'full';
  const coldBytes = smoke ? 64 * 1024 : MB;
  const idle = smoke ? 60 : full ? 10_000 : 2000;
  const storm = smoke ? 60 : full ? 3000 : 1000;
  const roomCounts = smoke ? [2] : full ? [20, 50] : [20];
  return [
    ...(full ? [5, 10, 20] : smoke ? [2] : [10]).map((boards) => classroomWorkload(boards, size)),
    {
      id: 'cold-sync',
      title: `${smoke ? '64 KB' : '1 MB'} board, cold first sync from storage`,
      baseline: 'bare-db',
      passes: smoke ? 1 : 2,
      run: (kind, { dir, nodeArgs }) => coldSync(kind, { boardBytes: coldBytes, boards: smoke ? 1 : 3, tail: smoke ? 10 : 100, dir, nodeArgs }),
      rows: (t, b) => [
        { measure: 'first sync', unit: 'ms', tutorboard: t.syncMs, baseline: b.syncMs, target: { text: '≤ 150 ms', met: le(t.syncMs, 150) } },
        { measure: 'longest loop block', unit: 'ms', tutorboard: t.loopMaxMs, baseline: b.loopMaxMs, target: { text: '≤ 50 ms', met: le(t.loopMaxMs, 50) } },
      ],
    },
    joinersWorkload(1, size),
    ...(smoke ? [] : [joinersWorkload(5, size)]),
    {
      id: 'idle',
      title: `${idle.toLocaleString('en-US')} idle connections`,
      baseline: 'bare',
      passes: full ? 2 : 1,
      run: (kind, { dir, nodeArgs }) => idleConnections(kind, { connections: idle, settle: !smoke, dir, nodeArgs }),
      rows: (t, b) => [
        { measure: 'heap per connection', unit: 'KiB', tutorboard: t.heapPerConnectionKiB, baseline: b.heapPerConnectionKiB, target: { text: '≤ 1.05× bare', met: le(t.heapPerConnectionKiB / b.heapPerConnectionKiB, 1.05) } },
        { measure: 'RSS per connection', unit: 'KiB', tutorboard: t.rssPerConnectionKiB, baseline: b.rssPerConnectionKiB },
        { measure: 'fixed RSS', unit: 'MiB', tutorboard: t.fixedRssMiB, baseline: b.fixedRssMiB, target: { text: '≤ 85 MiB', met: le(t.fixedRssMiB, 85) } },
      ],
    },
    {
      id: 'storm',
      title: `${storm.toLocaleString('en-US')} clients reconnecting at once`,
      baseline: 'bare-db',
      passes: full ? 3 : smoke ? 1 : 2,
      run: (kind, { dir, nodeArgs }) => reconnectStorm(kind, { clients: storm, boardBytes: 20 * 1024, dir, nodeArgs }),
      rows: (t, b, worst) => [
        { measure: 'all synced (median)', unit: 'ms', tutorboard: t.allSyncedMs, baseline: b.allSyncedMs },
        { measure: 'all synced (worst run)', unit: 'ms', tutorboard: worst.t.allSyncedMs, baseline: worst.b.allSyncedMs, target: { text: '≤ 3000 ms every time', met: le(worst.t.allSyncedMs, 3000) } },
        { measure: 'clients that retried', unit: '', tutorboard: worst.t.retries, baseline: worst.b.retries },
      ],
    },
    ...roomCounts.map(
      (rooms): Workload => ({
        id: `tutor-${rooms}`,
        title: `tutor channel ${rooms} rooms × ${smoke ? 5 : 30}`,
        baseline: 'relay',
        passes: full ? 3 : smoke ? 1 : 2,
        run: (kind, { dir, nodeArgs }) => tutorRooms(kind, { rooms, clients: smoke ? 5 : 30, rounds: smoke ? 3 : full ? 20 : 10, batch: 2, dir, nodeArgs }),
        rows: (t, b) => [
          {
            measure: 'deliveries per CPU-second',
            unit: '/s',
            tutorboard: t.deliveriesPerCpuSecond,
            baseline: b.deliveriesPerCpuSecond,
            target: { text: '≥ 1.0× relay', met: t.deliveriesPerCpuSecond >= b.deliveriesPerCpuSecond },
          },
        ],
      }),
    ),
    {
      id: 'updates',
      title: `acknowledged updates, ${smoke ? 2 : 4} writers on one board (bench/updateLog.ts with light clients)`,
      baseline: 'bare',
      passes: smoke ? 1 : 2,
      run: (kind, { dir, nodeArgs }) => acknowledgedUpdates(kind, { writers: smoke ? 2 : 4, updates: smoke ? 50 : full ? 2000 : 500, dir, nodeArgs }),
      rows: (t, b) => [{ measure: 'acknowledged', unit: 'updates/s', tutorboard: t.perSecond, baseline: b.perSecond }],
    },
  ];
}
