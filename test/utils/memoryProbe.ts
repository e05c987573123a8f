/**
 * Preloaded into a child server (`node --expose-gc --import ./test/utils/memoryProbe.ts …`, with
 * an IPC channel): answers `{type: 'memory'}` with `process.memoryUsage()` taken after full
 * garbage collections, so a test measures what the server really retains. `measureMemory` is the
 * parent's side.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './waitFor.ts';

export const memoryProbePath = fileURLToPath(import.meta.url);

/** Node flags that load the probe into a child. */
export const memoryProbeArgs = ['--expose-gc', '--import', memoryProbePath];

type Gc = () => void;

if (process.send && typeof (globalThis as { gc?: Gc }).gc === 'function') {
  const gc = (globalThis as unknown as { gc: Gc }).gc;
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'memory') return;
    // Twice: the first collection can leave finalizer-held memory for the second.
    gc();
    gc();
    process.send!({ type: 'memory', usage: process.memoryUsage() });
  });
  // The probe must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}

/** Heap plus external (Buffers) of a child that loaded the probe, after a full GC, in bytes. */
export async function measureMemory(child: ChildProcess, ms = 10_000): Promise<{ retained: number; usage: NodeJS.MemoryUsage }> {
  const answer = new Promise<NodeJS.MemoryUsage>((resolve) => {
    const onMessage = (message: { type?: string; usage?: NodeJS.MemoryUsage }) => {
      if (message?.type !== 'memory') return;
      child.off('message', onMessage);
      resolve(message.usage!);
    };
    child.on('message', onMessage);
  });
  child.send({ type: 'memory' });
  const usage = await withTimeout(answer, ms, 'the child server to report its memory');
  return { retained: usage.heapUsed + usage.external, usage };
}
