/**
 * A room's recent messages for `?since=` replay, oldest first, bounded three ways: at most
 * `messages` entries, at most `bytes` bytes, and each entry for at most `ttlMs`. Entries are
 * also charged to the server's shared `ReplayBudget`, which may take the oldest ones back.
 * Eviction is always from the oldest end, so what is retained is a contiguous run of seqs and a
 * replay can tell exactly where its gap is. Nothing is written to disk.
 */
import type { BudgetOwner, Charge, ReplayBudget } from './ReplayBudget.ts';

export interface ReplayEntry {
  seq: number;
  /** When the room accepted it, epoch ms; the entry is gone `ttlMs` later. */
  ts: number;
  /** Addressee user id, when the message was sent `to` one user. */
  to: string | undefined;
  /** The sending connection, which must not get its own message back. */
  senderConnectionId: string | undefined;
  /** The message exactly as it was delivered: its JSON text, or those bytes in UTF-8 (see `replayData`). */
  data: string | Buffer;
}

export interface ReplayLimits {
  /** Most entries kept; 0 disables replay. */
  messages: number;
  /** Most bytes kept (see `replayEntryBytes`); 0 disables replay. */
  bytes: number;
  /** How long an entry stays replayable, in ms; 0 disables replay. */
  ttlMs: number;
  /** The server-wide budget this ring's entries are charged to, if any. */
  budget?: ReplayBudget;
}

/**
 * What one retained entry is charged beyond its bytes: measured at ~360 bytes of heap for the
 * entry, its slot and the Buffer object around the data (node --expose-gc, 100,000 entries),
 * rounded up. It keeps a flood of tiny messages from escaping the byte limits.
 */
export const replayEntryOverheadBytes = 512;

/**
 * The bytes an entry is charged: its data plus the fixed overhead. Text is charged two bytes per
 * UTF-16 unit, the most V8 can use for it (one-byte strings use half).
 */
export function replayEntryBytes(entry: ReplayEntry): number {
  const dataBytes = typeof entry.data === 'string' ? 2 * entry.data.length : entry.data.byteLength;
  return dataBytes + replayEntryOverheadBytes;
}

/**
 * What to keep of a delivered message: its encoded bytes when they own their memory, else its
 * JSON text. A small Buffer (under 4 KiB) is a slice of Node's shared 8 KiB allocation pool, and
 * keeping it would keep the whole slab alive, so the charged bytes would understate what is
 * held; copying it out costs an allocation per message (~2 µs, measured), keeping the string
 * that was encoded costs nothing. A replay then encodes it again, once per recipient.
 */
export function replayData(json: string, encoded: Buffer): string | Buffer {
  return encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength ? encoded : json;
}

/**
 * What to keep of bytes that are a view into a larger buffer (a message Redis handed over inside
 * its channel payload): a large one copied into memory of its own, a small one as its text, for
 * the same reason as `replayData`.
 */
export function ownedReplayData(view: Buffer): string | Buffer {
  return view.byteLength >= 4096 ? Buffer.from(view) : view.toString('utf8');
}

interface Slot extends Charge {
  readonly entry: ReplayEntry;
}

export class ReplayRing implements BudgetOwner {
  private readonly capacity: number;
  private readonly maxBytes: number;
  private readonly ttlMs: number;
  private readonly budget: ReplayBudget | undefined;
  private readonly slots: (Slot | undefined)[];
  /** Index of the oldest entry. */
  private head = 0;
  private size = 0;
  private heldBytes = 0;

  constructor(limits: ReplayLimits) {
    const enabled = limits.messages > 0 && limits.bytes > 0 && limits.ttlMs > 0 && (limits.budget?.limitBytes ?? 1) > 0;
    this.capacity = enabled ? limits.messages : 0;
    this.maxBytes = limits.bytes;
    this.ttlMs = limits.ttlMs;
    this.budget = limits.budget;
    this.slots = new Array(this.capacity);
  }

  get enabled(): boolean {
    return this.capacity > 0;
  }

  /** Entries retained now (expired ones included until the next push or read). */
  get length(): number {
    return this.size;
  }

  /** Bytes retained now, as charged (data plus overhead per entry). */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Keeps `entry`, evicting the oldest entries as the limits require. An entry that cannot fit
   * even alone empties the ring instead: keeping older entries around it would hide the gap.
   */
  push(entry: ReplayEntry, now = entry.ts): void {
    if (this.capacity === 0) return;
    this.expire(now);
    const bytes = replayEntryBytes(entry);
    if (bytes > this.maxBytes || (this.budget && bytes > this.budget.limitBytes)) {
      this.clear();
      return;
    }
    while (this.size > 0 && (this.size === this.capacity || this.heldBytes + bytes > this.maxBytes)) this.dropOldest();
    const slot: Slot = { entry, bytes, owner: this, prev: undefined, next: undefined };
    this.slots[(this.head + this.size) % this.capacity] = slot;
    this.size += 1;
    this.heldBytes += bytes;
    // Last: the budget may evict from any ring, this one included.
    this.budget?.charge(slot);
  }

  /** Entries still within the ttl, oldest first. Drops expired ones as a side effect. */
  live(now: number): ReplayEntry[] {
    this.expire(now);
    const out: ReplayEntry[] = [];
    for (let i = 0; i < this.size; i += 1) out.push(this.slots[(this.head + i) % this.capacity]!.entry);
    return out;
  }

  /** How long until the newest entry expires, in ms; 0 when nothing is retained. */
  retainFor(now: number): number {
    this.expire(now);
    if (this.size === 0) return 0;
    const newest = this.slots[(this.head + this.size - 1) % this.capacity]!;
    return Math.max(0, newest.entry.ts + this.ttlMs - now);
  }

  dropOldest(): void {
    if (this.size === 0) return;
    const slot = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size -= 1;
    this.heldBytes -= slot.bytes;
    this.budget?.release(slot);
  }

  /** Drops every entry and gives its bytes back to the budget. */
  clear(): void {
    while (this.size > 0) this.dropOldest();
  }

  private expire(now: number): void {
    while (this.size > 0 && now - this.slots[this.head]!.entry.ts >= this.ttlMs) this.dropOldest();
  }
}
