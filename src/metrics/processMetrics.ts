/**
 * prom-client's default metrics (CPU, memory, heap, handles, GC, event-loop lag) in a registry of
 * their own, created once per process. They describe the process, not one server, and their
 * collectors start monitors (an event-loop delay histogram, a GC observer) that prom-client
 * offers no way to stop: one set per server would leak a set for every server a process starts.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

let shared: Registry | undefined;

export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
