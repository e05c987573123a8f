/**
 * Counts events in a sliding time window, exactly, with memory bounded by the limit: only the
 * last `limit + 1` timestamps matter to decide "more than `limit` within `windowMs`".
 */
export class SlidingWindowCounter {
  private readonly limit: number;
  private readonly windowMs: number;
  private times: Float64Array | undefined;
  private next = 0;
  private filled = 0;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Records one event; true when more than `limit` events fell within the window ending now. */
  hit(now: number): boolean {
    // Allocated on first use: most connections never misbehave.
    this.times ??= new Float64Array(this.limit + 1);
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.times.length;
    this.filled = Math.min(this.filled + 1, this.times.length);
    if (this.filled < this.times.length) return false;
    // `next` now points at the oldest of the last limit+1 events.
    return now - this.times[this.next] < this.windowMs;
  }
}
