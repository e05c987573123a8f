/**
 * What the parent and bench/harness/probe.mjs (preloaded into every benchmark server) say to
 * each other over IPC.
 *
 *   {type: 'bench:stats', reset?: true, gc?: true}
 *   → {type: 'bench:stats', cpu, loop: {maxMs, p99Ms, p50Ms, meanMs}, memory, uptimeMs}
 *
 * `cpu` is cumulative `process.cpuUsage()` (the parent takes differences); `loop` is the event
 * loop delay histogram (`monitorEventLoopDelay`) since the last reset, i.e. how long the loop
 * was blocked; `memory` is `process.memoryUsage()`, after two full collections when `gc` is
 * asked and the child runs with `--expose-gc`.
 *
 *   {type: 'bench:heapSnapshot', path} → {type: 'bench:heapSnapshot', path}   (v8.writeHeapSnapshot, after a GC)
 */
export interface ProbeStats {
  type: 'bench:stats';
  cpu: NodeJS.CpuUsage;
  loop: { maxMs: number; p99Ms: number; p50Ms: number; meanMs: number };
  memory: NodeJS.MemoryUsage;
  uptimeMs: number;
}

export interface ProbeRequest {
  type: 'bench:stats';
  reset?: boolean;
  gc?: boolean;
}
