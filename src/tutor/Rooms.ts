/**
 * The tutor rooms of one server, by session id. An empty room is kept only while its replay
 * ring still holds something a reconnecting client could ask for, then dropped: memory follows
 * the live sessions, not every session ever seen.
 */
import { Room, type RoomOptions } from './Room.ts';

export class Rooms {
  private readonly options: RoomOptions;
  private readonly rooms = new Map<string, Room>();
  /** Drop timers of empty rooms, by session id. */
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(options: RoomOptions) {
    this.options = options;
  }

  get size(): number {
    return this.rooms.size;
  }

  get(sessionId: string): Room | undefined {
    return this.rooms.get(sessionId);
  }

  /** The session's room, created if needed; an empty room waiting to expire is kept alive. */
  open(sessionId: string): Room {
    this.cancelExpiry(sessionId);
    let room = this.rooms.get(sessionId);
    if (!room) {
      room = new Room(sessionId, this.options);
      this.rooms.set(sessionId, room);
    }
    return room;
  }

  /** Call after a member left (or a message was published into an empty room). */
  release(room: Room): void {
    if (room.size > 0 || this.rooms.get(room.sessionId) !== room) return;
    const retainMs = room.retainFor();
    if (retainMs === 0) {
      this.drop(room);
      return;
    }
    this.cancelExpiry(room.sessionId);
    // +1: the ring's newest entry must be strictly past its ttl when we look again.
    const timer = setTimeout(() => {
      this.expiries.delete(room.sessionId);
      this.release(room);
    }, retainMs + 1);
    timer.unref();
    this.expiries.set(room.sessionId, timer);
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  /** Forgets every room and cancels every timer; idempotent. */
  clear(): void {
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
    this.rooms.clear();
  }

  private drop(room: Room): void {
    this.cancelExpiry(room.sessionId);
    this.rooms.delete(room.sessionId);
  }

  private cancelExpiry(sessionId: string): void {
    const timer = this.expiries.get(sessionId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.expiries.delete(sessionId);
  }
}
