// Preloaded into every benchmark server child (`node --import bench/harness/probe.mjs …`, with
// an IPC channel); the protocol is in probeProtocol.ts. Plain JavaScript on purpose: loading any
// TypeScript file makes Node load its type stripper (≈15 MB of RSS), which would be counted as
// the server's own memory.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';

if (process.send) {
  // 5 ms sampling: a blocked loop shows up as one sample delayed by the length of the block.
  const resolutionMs = 5;
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  const gc = globalThis.gc;
  // The histogram counts the sampling interval itself; subtracted, an idle loop reads ~0.
  const ms = (ns) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - resolutionMs) : 0);
  process.on('message', (message) => {
    if (message?.type === 'bench:heapSnapshot') {
      globalThis.gc?.();
      process.send({ type: 'bench:heapSnapshot', path: writeHeapSnapshot(message.path) });
      return;
    }
    if (message?.type !== 'bench:stats') return;
    if (message.gc && gc) {
      gc();
      gc();
    }
    const stats = {
      type: 'bench:stats',
      cpu: process.cpuUsage(),
      loop: { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), p50Ms: ms(histogram.percentile(50)), meanMs: ms(histogram.mean) },
      memory: process.memoryUsage(),
      uptimeMs: process.uptime() * 1000,
    };
    if (message.reset) histogram.reset();
    process.send(stats);
  });
  // The probe must not keep alive a server that would otherwise exit.
  process.channel?.unref();
}
