/**
 * Per-connection send limit: a token bucket (`perSecond` refill, `burst` capacity), plus the
 * policy for a client that ignores `rate_limited` errors. A message that finds the bucket empty
 * is dropped; once more than `burst` messages were dropped within one minute, the client is
 * not slowing down and the connection is closed. A one-off spike of up to twice the burst only
 * loses messages; sending at twice the sustained rate is closed after about burst/perSecond s.
 */
import { SlidingWindowCounter } from './SlidingWindowCounter.ts';

export type RateDecision = 'accept' | 'reject' | 'abusive';

/** Window over which rejected messages are counted for the "sustained" verdict, in ms. */
export const rejectionWindowMs = 60_000;

export class RateLimiter {
  private readonly perMs: number;
  private readonly burst: number;
  private tokens: number;
  private refilledAt: number;
  private readonly rejections: SlidingWindowCounter;

  constructor(perSecond: number, burst: number, now = Date.now()) {
    this.perMs = perSecond / 1000;
    this.burst = burst;
    this.tokens = burst;
    this.refilledAt = now;
    this.rejections = new SlidingWindowCounter(burst, rejectionWindowMs);
  }

  take(now = Date.now()): RateDecision {
    if (now > this.refilledAt) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) * this.perMs);
      this.refilledAt = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'accept';
    }
    return this.rejections.hit(now) ? 'abusive' : 'reject';
  }
}
