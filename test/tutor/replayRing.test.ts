import { describe, expect, it } from 'vitest';
import { ReplayBudget } from '../../src/tutor/ReplayBudget.ts';
import { ReplayRing, replayData, replayEntryBytes, replayEntryOverheadBytes, type ReplayEntry } from '../../src/tutor/ReplayRing.ts';

let nextSeq = 1;
function entry(bytes: number, ts = 1_000): ReplayEntry {
  // Buffer.alloc never takes memory from Node's shared pool (Buffer.from does, below 4 KiB).
  return { seq: nextSeq++, ts, to: undefined, senderConnectionId: undefined, data: Buffer.alloc(bytes, 0x61) };
}

const seqs = (ring: ReplayRing, now = 1_000) => ring.live(now).map((e) => e.seq);

describe('ReplayRing byte accounting', () => {
  it('charges each entry its data plus a fixed overhead, and gives it back when it goes', () => {
    const budget = new ReplayBudget(1 << 20);
    const ring = new ReplayRing({ messages: 10, bytes: 1 << 20, ttlMs: 1_000, budget });
    const a = entry(100);
    const b = entry(5_000);
    ring.push(a);
    ring.push(b);
    expect(replayEntryBytes(a)).toBe(100 + replayEntryOverheadBytes);
    expect(ring.bytes).toBe(5_100 + 2 * replayEntryOverheadBytes);
    expect(budget.usedBytes).toBe(ring.bytes);
    expect(budget.entries).toBe(2);
    // Expiry (seen on the next read) releases the bytes too.
    expect(ring.live(2_000)).toEqual([]);
    expect([ring.bytes, budget.usedBytes, budget.entries]).toEqual([0, 0, 0]);
  });

  it('evicts the oldest entries to stay within its bytes, keeping a contiguous run of seqs', () => {
    const per = 1_000 + replayEntryOverheadBytes;
    const ring = new ReplayRing({ messages: 100, bytes: 3 * per, ttlMs: 1_000 });
    const pushed = [entry(1_000), entry(1_000), entry(1_000), entry(1_000)];
    for (const e of pushed) ring.push(e);
    expect(seqs(ring)).toEqual(pushed.slice(1).map((e) => e.seq));
    expect(ring.bytes).toBe(3 * per);
    // A larger one makes room for itself by evicting as many old ones as needed.
    const big = entry(2_000);
    ring.push(big);
    expect(seqs(ring)).toEqual([pushed[3].seq, big.seq]);
    expect(ring.bytes).toBe(3_000 + 2 * replayEntryOverheadBytes);
  });

  it('still honours the message count', () => {
    const ring = new ReplayRing({ messages: 2, bytes: 1 << 20, ttlMs: 1_000 });
    const pushed = [entry(10), entry(10), entry(10)];
    for (const e of pushed) ring.push(e);
    expect(seqs(ring)).toEqual([pushed[1].seq, pushed[2].seq]);
    expect(ring.bytes).toBe(2 * (10 + replayEntryOverheadBytes));
  });

  it('empties itself for an entry larger than its limit, so a replay reports the whole gap', () => {
    const budget = new ReplayBudget(1 << 20);
    const ring = new ReplayRing({ messages: 10, bytes: 10_000, ttlMs: 1_000, budget });
    ring.push(entry(1_000));
    ring.push(entry(20_000));
    expect(seqs(ring)).toEqual([]);
    expect([ring.bytes, budget.usedBytes]).toEqual([0, 0]);
  });

  it('keeps a small message as its text (no shared 8 KiB pool slab pinned), a large one as its bytes', () => {
    const small = JSON.stringify({ type: 'm', text: 'héllo' });
    const pooled = Buffer.from(small);
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    expect(replayData(small, pooled)).toBe(small);
    const large = JSON.stringify({ type: 'm', text: 'x'.repeat(10_000) });
    const own = Buffer.from(large);
    expect(replayData(large, own)).toBe(own);
    // Text is charged the most V8 may use for it: two bytes per UTF-16 unit.
    const ring = new ReplayRing({ messages: 10, bytes: 1 << 20, ttlMs: 1_000 });
    ring.push({ seq: 1, ts: 1_000, to: undefined, senderConnectionId: undefined, data: small });
    ring.push({ seq: 2, ts: 1_000, to: undefined, senderConnectionId: undefined, data: own });
    expect(ring.bytes).toBe(2 * small.length + own.byteLength + 2 * replayEntryOverheadBytes);
    expect(ring.live(1_000).map((e) => e.data)).toEqual([small, own]);
  });

  it('is disabled by a zero limit of any kind', () => {
    for (const limits of [
      { messages: 0, bytes: 1_000, ttlMs: 1_000 },
      { messages: 10, bytes: 0, ttlMs: 1_000 },
      { messages: 10, bytes: 1_000, ttlMs: 0 },
      { messages: 10, bytes: 1_000, ttlMs: 1_000, budget: new ReplayBudget(0) },
    ]) {
      const ring = new ReplayRing(limits);
      ring.push(entry(10));
      expect({ limits, enabled: ring.enabled, length: ring.length }).toEqual({ limits, enabled: false, length: 0 });
    }
  });
});

describe('ReplayBudget', () => {
  it('evicts the server-wide oldest entries first, whichever ring holds them', () => {
    const per = 1_000 + replayEntryOverheadBytes;
    const budget = new ReplayBudget(4 * per);
    const ring = () => new ReplayRing({ messages: 100, bytes: 100 * per, ttlMs: 60_000, budget });
    const [a, b, c] = [ring(), ring(), ring()];
    const order: Array<[ReplayRing, ReplayEntry]> = [];
    for (const r of [a, a, b, c, b]) {
      const e = entry(1_000);
      r.push(e);
      order.push([r, e]);
    }
    // Five entries, room for four: a's first went.
    expect([seqs(a), seqs(b), seqs(c)]).toEqual([[order[1][1].seq], [order[2][1].seq, order[4][1].seq], [order[3][1].seq]]);
    expect(budget.usedBytes).toBe(4 * per);
    // A ring that empties itself leaves the others alone and frees its share.
    b.clear();
    expect(budget.usedBytes).toBe(2 * per);
    expect(budget.entries).toBe(2);
    for (let n = 0; n < 3; n += 1) c.push(entry(1_000));
    expect([seqs(a).length, seqs(c).length, budget.usedBytes]).toEqual([0, 4, 4 * per]);
  });

  it('accounts exactly across many rings and random sizes', () => {
    const budget = new ReplayBudget(200_000);
    const rings = Array.from({ length: 7 }, (_, i) => new ReplayRing({ messages: 5 + i, bytes: 30_000, ttlMs: 60_000, budget }));
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 2_000; n += 1) {
      const r = rings[Math.floor(random() * rings.length)];
      r.push(entry(Math.floor(random() * 12_000)));
      const sum = rings.reduce((total, x) => total + x.bytes, 0);
      expect(budget.usedBytes).toBe(sum);
      expect(budget.usedBytes).toBeLessThanOrEqual(200_000);
      for (const x of rings) expect(x.bytes).toBeLessThanOrEqual(30_000);
    }
    for (const r of rings) r.clear();
    expect([budget.usedBytes, budget.entries]).toEqual([0, 0]);
  });
});
