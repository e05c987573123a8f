/**
 * The last N room messages, for at most `ttlMs`, serialized once and shared with the fan-out.
 * Memory is bounded by `capacity` entries per room; nothing is written to disk.
 */
export interface ReplayEntry {
  seq: number;
  /** When the room accepted it, epoch ms; the entry is gone `ttlMs` later. */
  ts: number;
  /** Addressee user id, when the message was sent `to` one user. */
  to: string | undefined;
  /** The sending connection, which must not get its own message back. */
  senderConnectionId: string | undefined;
  /** The message exactly as it was delivered (UTF-8 JSON). */
  data: Buffer;
}

export class ReplayRing {
  private readonly capacity: number;
  private readonly ttlMs: number;
  private readonly entries: (ReplayEntry | undefined)[];
  /** Index of the oldest entry. */
  private head = 0;
  private size = 0;

  constructor(capacity: number, ttlMs: number) {
    this.capacity = ttlMs > 0 ? capacity : 0;
    this.ttlMs = ttlMs;
    this.entries = new Array(this.capacity);
  }

  get enabled(): boolean {
    return this.capacity > 0;
  }

  push(entry: ReplayEntry): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      this.entries[(this.head + this.size) % this.capacity] = entry;
      this.size += 1;
    } else {
      this.entries[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** Entries still within the ttl, oldest first. Drops expired ones as a side effect. */
  live(now: number): ReplayEntry[] {
    this.expire(now);
    const out: ReplayEntry[] = [];
    for (let i = 0; i < this.size; i += 1) out.push(this.entries[(this.head + i) % this.capacity]!);
    return out;
  }

  /** How long until the newest entry expires, in ms; 0 when nothing is retained. */
  retainFor(now: number): number {
    this.expire(now);
    if (this.size === 0) return 0;
    const newest = this.entries[(this.head + this.size - 1) % this.capacity]!;
    return Math.max(0, newest.ts + this.ttlMs - now);
  }

  private expire(now: number): void {
    while (this.size > 0) {
      const oldest = this.entries[this.head]!;
      if (now - oldest.ts < this.ttlMs) return;
      this.entries[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
    }
  }
}
