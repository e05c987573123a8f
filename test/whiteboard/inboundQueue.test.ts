import { describe, expect, it } from 'vitest';
import { InboundQueue } from '../../src/whiteboard/InboundQueue.ts';

function frame(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, n >> 8]);
}

describe('InboundQueue', () => {
  it('delivers every frame in order, a batch per macrotask, pausing and resuming the socket around the backlog', async () => {
    const delivered: number[] = [];
    const events: string[] = [];
    const socket = { pause: () => events.push('pause'), resume: () => events.push('resume') };
    const queue = new InboundQueue((f) => delivered.push(f[0] | (f[1] << 8)), socket, { batch: 10, highWater: 50, lowWater: 20 });
    for (let i = 0; i < 200; i += 1) queue.push(frame(i));
    // The first frame goes through at once; the rest wait for the loop to turn.
    expect(delivered).toEqual([0]);
    expect(events).toEqual(['pause']);
    let turns = 0;
    while (queue.size > 0) {
      await new Promise((r) => setImmediate(r));
      turns += 1;
      expect(delivered.length).toBeLessThanOrEqual(1 + turns * 10);
    }
    expect(delivered).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(events).toEqual(['pause', 'resume']);
  });

  it('flush hands over every waiting frame at once, in order, and schedules nothing more', async () => {
    const delivered: number[] = [];
    const queue = new InboundQueue((f) => delivered.push(f[0] | (f[1] << 8)), { pause() {}, resume() {} }, { batch: 2 });
    for (let i = 0; i < 10; i += 1) queue.push(frame(i));
    expect(delivered).toEqual([0]);
    queue.flush();
    expect(delivered).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(queue.size).toBe(0);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(delivered).toHaveLength(10);
  });
});
