/**
 * Event-driven waits with a bounded timeout: the failure message says what was awaited.
 */
import type { EventEmitter } from 'node:events';

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Emitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** Resolves with the arguments of the first `event` for which `predicate` holds. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: Emitter | EventEmitter,
  event: string,
  predicate: (...args: T) => boolean = () => true,
  ms = 5_000,
): Promise<T> {
  let listener: (...args: any[]) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    listener = (...args: any[]) => {
      if (predicate(...(args as T))) resolve(args as T);
    };
    (emitter as Emitter).on(event, listener);
  });
  return withTimeout(promise, ms, `event "${event}"`).finally(() => (emitter as Emitter).off(event, listener));
}

/**
 * Re-checks `condition` whenever `emitter` fires `event` (and once at the start) until it holds.
 * For state that several events can change, e.g. a Y.Doc's content after 'update'.
 */
export async function until(
  condition: () => boolean,
  emitter: Emitter | EventEmitter,
  event: string,
  ms = 5_000,
  what = 'condition',
): Promise<void> {
  if (condition()) return;
  await withTimeout(nextEvent(emitter, event, () => condition(), ms * 2), ms, what);
}

/**
 * Re-checks `condition` every `everyMs` until it holds, for state no event announces (a lease
 * lapsing as time passes, another process's file). Bounded like every other wait.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 5_000, what = 'condition', everyMs = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
