/**
 * The cluster rooms this instance holds, by session id, with the same lifetime as on one machine
 * (`Rooms`): an empty room stays while its local replay has something to give, at most
 * `emptyRoomGraceMs`, then it is dropped (and its channel left) so memory and subscriptions
 * follow the live sessions.
 */
import type { ClusterRoom } from './ClusterRoom.ts';

export interface ClusterRoomSetOptions {
  emptyRoomGraceMs: number;
  /** Makes the room of a session seen for the first time. */
  create(sessionId: string): ClusterRoom;
  /** A room was dropped: let go of what it holds outside (its subscription). */
  dropped(room: ClusterRoom): void;
}

export class ClusterRoomSet {
  private readonly options: ClusterRoomSetOptions;
  private readonly rooms = new Map<string, ClusterRoom>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(options: ClusterRoomSetOptions) {
    this.options = options;
  }

  get size(): number {
    return this.rooms.size;
  }

  get(sessionId: string): ClusterRoom | undefined {
    return this.rooms.get(sessionId);
  }

  /** Holds this room still (not dropped, not replaced)? */
  holds(room: ClusterRoom): boolean {
    return this.rooms.get(room.sessionId) === room;
  }

  all(): ClusterRoom[] {
    return [...this.rooms.values()];
  }

  /** The session's room, made if needed; an empty room waiting to be dropped is kept. */
  open(sessionId: string): ClusterRoom {
    this.cancelExpiry(sessionId);
    let room = this.rooms.get(sessionId);
    if (!room) {
      room = this.options.create(sessionId);
      this.rooms.set(sessionId, room);
    }
    return room;
  }

  /** Call when a room may have become empty. */
  release(room: ClusterRoom): void {
    if (!room.empty || !this.holds(room)) return;
    const keepMs = Math.min(room.room.retainFor(), this.options.emptyRoomGraceMs);
    if (keepMs <= 0) {
      this.drop(room);
      return;
    }
    this.cancelExpiry(room.sessionId);
    // +1: a ring's newest entry must be strictly past its ttl when the room goes.
    const timer = setTimeout(() => {
      this.expiries.delete(room.sessionId);
      if (room.empty && this.holds(room)) this.drop(room);
    }, keepMs + 1);
    timer.unref();
    this.expiries.set(room.sessionId, timer);
  }

  /** Drops every room and cancels every timer; idempotent. */
  clear(): void {
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
    for (const room of [...this.rooms.values()]) this.drop(room);
  }

  private drop(room: ClusterRoom): void {
    this.cancelExpiry(room.sessionId);
    this.rooms.delete(room.sessionId);
    room.generation += 1;
    room.room.dispose();
    this.options.dropped(room);
  }

  private cancelExpiry(sessionId: string): void {
    const timer = this.expiries.get(sessionId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.expiries.delete(sessionId);
  }
}
