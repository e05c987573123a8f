/**
 * The byte budget every replay ring of one server shares (TUTOR_REPLAY_TOTAL_BYTES). Retained
 * entries are charged in the order their rooms accepted them, in one list across rooms; when the
 * total passes the limit, the server-wide oldest entries go first, whichever room holds them.
 * A burst in one room therefore evicts the history of the rooms that have been quiet the longest
 * before its own, and the cost is O(1) per entry: no room is ever scanned.
 */

/** What the budget asks to give memory back. */
export interface BudgetOwner {
  /** Drops the owner's oldest entry (and releases its charge). */
  dropOldest(): void;
}

/** One retained entry as the budget sees it; the ring links it in and out. */
export interface Charge {
  readonly bytes: number;
  readonly owner: BudgetOwner;
  prev: Charge | undefined;
  next: Charge | undefined;
}

export class ReplayBudget {
  readonly limitBytes: number;
  private used = 0;
  private count = 0;
  private oldest: Charge | undefined;
  private newest: Charge | undefined;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  /** Bytes charged right now, across every room. */
  get usedBytes(): number {
    return this.used;
  }

  /** Entries charged right now, across every room. */
  get entries(): number {
    return this.count;
  }

  /**
   * Charges a new entry (the newest of all), then evicts the oldest entries of any room until the
   * total fits again. The new entry itself is evicted last, and only if it alone is over the limit.
   */
  charge(charge: Charge): void {
    charge.prev = this.newest;
    charge.next = undefined;
    if (this.newest) this.newest.next = charge;
    else this.oldest = charge;
    this.newest = charge;
    this.used += charge.bytes;
    this.count += 1;
    // The oldest charge is always its owner's oldest entry: every ring charges in push order.
    while (this.used > this.limitBytes && this.oldest) this.oldest.owner.dropOldest();
  }

  /** Takes back a charge whose entry its ring dropped (evicted, expired or cleared). */
  release(charge: Charge): void {
    if (charge.prev) charge.prev.next = charge.next;
    else if (this.oldest === charge) this.oldest = charge.next;
    else return; // not linked: released already
    if (charge.next) charge.next.prev = charge.prev;
    else this.newest = charge.prev;
    charge.prev = undefined;
    charge.next = undefined;
    this.used -= charge.bytes;
    this.count -= 1;
  }
}
