import type { HocuspocusProvider } from '@hocuspocus/provider';

/**
 * Writes one key per macrotask until stopped and records the highest index the server has
 * acknowledged. The provider counts one unsynced change per update message it sends and drops
 * one per SyncStatus acknowledgement, in order; so each increment remembers the write that
 * caused it and each decrement acknowledges the oldest remembered write and all before it.
 * (Under batching an increment covers later writes too: the record is then a lower bound.)
 */
/** `pauseMs` paces the writes with a timer; without it the next write follows in the next macrotask. */
export function writer(provider: HocuspocusProvider, prefix: string, pauseMs?: number) {
  const state = { written: -1, acknowledged: -1, running: true };
  const inFlight: number[] = [];
  let previous = provider.unsyncedChanges;
  // A reconnect resets the count (startSync); only the first connection's acks are counted.
  let closed = false;
  provider.on('close', () => (closed = true));
  provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    if (closed) return;
    if (number > previous) inFlight.push(state.written);
    else if (number < previous) state.acknowledged = inFlight.shift() ?? state.acknowledged;
    previous = number;
  });
  const step = () => {
    if (!state.running) return;
    state.written += 1;
    provider.document.getMap('shapes').set(`${prefix}-${state.written}`, { x: state.written });
    if (pauseMs === undefined) setImmediate(step);
    else setTimeout(step, pauseMs);
  };
  step();
  return state;
}
