/**
 * Promises still running (Redis scripts), so a shutdown can give the last ones (leaves) a bounded
 * moment to reach Redis before the connection is closed.
 */
export class Inflight {
  private readonly promises = new Set<Promise<unknown>>();

  /** Follows `promise` until it settles; returns it unchanged. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.promises.add(promise);
    const forget = () => this.promises.delete(promise);
    void promise.then(forget, forget);
    return promise;
  }

  /** Resolves when every tracked promise has settled, or after `graceMs`. Never rejects. */
  async settled(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.promises]), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }
}
