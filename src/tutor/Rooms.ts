/**
 * The tutor rooms of one server, by session id, and the replay budget they share. An empty room
 * is kept only for a short grace (or until its replay has expired, if sooner), so a client that
 * reconnects at once still gets what it missed; then it is dropped with its replay: memory
 * follows the live sessions, not every session ever seen.
 */
import { ReplayBudget } from './ReplayBudget.ts';
import { Room } from './Room.ts';

export interface RoomsOptions {
  /** Messages kept per room for `?since=` replay; 0 disables replay. */
  replayMessages: number;
  /** How long a message stays replayable, in ms; 0 disables replay. */
  replayMs: number;
  /** Bytes of replay kept per room; 0 disables replay. */
  replayBytes: number;
  /** Bytes of replay kept by all rooms together (oldest evicted first); 0 disables replay. */
  replayTotalBytes: number;
  /** How long a room stays after its last member left (and its replay with it), in ms. */
  emptyRoomGraceMs: number;
  now?: () => number;
}

export class Rooms {
  private readonly options: RoomsOptions;
  private readonly budget: ReplayBudget;
  private readonly rooms = new Map<string, Room>();
  /** Drop timers of empty rooms, by session id. */
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(options: RoomsOptions) {
    this.options = options;
    this.budget = new ReplayBudget(options.replayTotalBytes);
  }

  get size(): number {
    return this.rooms.size;
  }

  /** Bytes all replay rings hold together, as charged to the budget. */
  get replayBytes(): number {
    return this.budget.usedBytes;
  }

  get(sessionId: string): Room | undefined {
    return this.rooms.get(sessionId);
  }

  /** The session's room, created if needed; an empty room waiting to be dropped is kept. */
  open(sessionId: string): Room {
    this.cancelExpiry(sessionId);
    let room = this.rooms.get(sessionId);
    if (!room) {
      const { replayMessages, replayMs, replayBytes, now } = this.options;
      room = new Room(sessionId, { replayMessages, replayMs, replayBytes, replayBudget: this.budget, now });
      this.rooms.set(sessionId, room);
    }
    return room;
  }

  /** Call after a member left (or a message was published into an empty room). */
  release(room: Room): void {
    if (room.size > 0 || this.rooms.get(room.sessionId) !== room) return;
    const keepMs = Math.min(room.retainFor(), this.options.emptyRoomGraceMs);
    if (keepMs <= 0) {
      this.drop(room);
      return;
    }
    this.cancelExpiry(room.sessionId);
    // +1: a ring's newest entry must be strictly past its ttl when the room goes.
    const timer = setTimeout(() => {
      this.expiries.delete(room.sessionId);
      if (room.size === 0 && this.rooms.get(room.sessionId) === room) this.drop(room);
    }, keepMs + 1);
    timer.unref();
    this.expiries.set(room.sessionId, timer);
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  /** Forgets every room and its replay and cancels every timer; idempotent. */
  clear(): void {
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
    for (const room of this.rooms.values()) room.dispose();
    this.rooms.clear();
  }

  private drop(room: Room): void {
    this.cancelExpiry(room.sessionId);
    this.rooms.delete(room.sessionId);
    room.dispose();
  }

  private cancelExpiry(sessionId: string): void {
    const timer = this.expiries.get(sessionId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.expiries.delete(sessionId);
  }
}
