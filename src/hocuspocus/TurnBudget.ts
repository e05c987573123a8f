/**
 * Spreads large sends over turns of the event loop: at most `bytesPerTurn` of them per turn
 * (always at least one), the rest wait for the next turns in arrival order.
 *
 * Thirty joiners of a 5 MB board are 150 MB to hand to sockets; written in one turn that blocks
 * everything else (cursors, other boards, timers) for the whole of it. Taking turns keeps each
 * block short and lets the rest of the server run in between.
 */
export class TurnBudget {
  private readonly bytesPerTurn: number;
  private used = 0;
  private readonly waiting: Array<{ bytes: number; resolve: () => void }> = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(bytesPerTurn: number) {
    this.bytesPerTurn = bytesPerTurn;
  }

  /** Resolves when `bytes` may be sent: at once while this turn has room, else in a later turn. */
  take(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && (this.used === 0 || this.used + bytes <= this.bytesPerTurn)) {
      this.used += bytes;
      this.schedule();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push({ bytes, resolve });
      this.schedule();
    });
  }

  /** Lets everything waiting go now; idempotent. */
  dispose(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.resolve();
    this.used = 0;
  }

  private schedule(): void {
    this.scheduled ??= setImmediate(this.nextTurn);
  }

  private readonly nextTurn = (): void => {
    this.scheduled = undefined;
    this.used = 0;
    while (this.waiting.length > 0 && (this.used === 0 || this.used + this.waiting[0].bytes <= this.bytesPerTurn)) {
      const waiter = this.waiting.shift()!;
      this.used += waiter.bytes;
      waiter.resolve();
    }
    if (this.waiting.length > 0 || this.used > 0) this.schedule();
  };
}
