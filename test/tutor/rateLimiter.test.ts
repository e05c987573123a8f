import { describe, expect, it } from 'vitest';
import { RateLimiter, rejectionWindowMs } from '../../src/tutor/RateLimiter.ts';
import { SlidingWindowCounter } from '../../src/tutor/SlidingWindowCounter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const limiter = new RateLimiter(10, 3, 0);
    expect([limiter.take(0), limiter.take(0), limiter.take(0), limiter.take(0)]).toEqual(['accept', 'accept', 'accept', 'reject']);
    expect(limiter.take(50)).toBe('reject');
    expect(limiter.take(100)).toBe('accept');
    // Never more than the burst, however long it was idle.
    expect([1, 2, 3, 4].map(() => limiter.take(60_000))).toEqual(['accept', 'accept', 'accept', 'reject']);
  });

  it('calls it abusive after more than `burst` rejections within the window', () => {
    const limiter = new RateLimiter(1, 2, 0);
    limiter.take(0);
    limiter.take(0);
    expect([limiter.take(1), limiter.take(2)]).toEqual(['reject', 'reject']);
    expect(limiter.take(3)).toBe('abusive');
  });

  it('forgives rejections spread wider than the window', () => {
    const limiter = new RateLimiter(1, 2, 0);
    let t = 0;
    for (let i = 0; i < 20; i += 1) {
      limiter.take(t);
      limiter.take(t);
      expect(limiter.take(t)).toBe('reject');
      t += rejectionWindowMs / 2 + 1;
    }
  });
});

describe('SlidingWindowCounter', () => {
  it('is true only when more than `limit` hits fall within the window', () => {
    const counter = new SlidingWindowCounter(3, 1_000);
    expect([0, 10, 20].map((t) => counter.hit(t))).toEqual([false, false, false]);
    expect(counter.hit(999)).toBe(true);
    expect(counter.hit(2_000)).toBe(false);
    expect(counter.hit(2_010)).toBe(false);
  });
});
