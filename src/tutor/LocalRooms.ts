/**
 * Tutor rooms of one machine: everything in this process, every step synchronous. A message is
 * stamped and fanned out in the tick it arrives; a welcome, its replay and the join happen in one
 * tick, so nothing can interleave.
 */
import { Rooms } from './Rooms.ts';
import type { OutgoingMessage, Sender } from './protocol.ts';
import type { ResumeRequest } from './Room.ts';
import type { JoinHooks, RoomEntrant, TutorRooms, TutorRoomsOptions } from './TutorRooms.ts';

export class LocalRooms implements TutorRooms {
  private readonly rooms: Rooms;
  private readonly options: TutorRoomsOptions;

  constructor(options: TutorRoomsOptions) {
    this.options = options;
    const { replayMessages, replayMs, replayBytes, replayTotalBytes, emptyRoomGraceMs } = options;
    this.rooms = new Rooms({ replayMessages, replayMs, replayBytes, replayTotalBytes, emptyRoomGraceMs });
  }

  join(entrant: RoomEntrant, resume: ResumeRequest | undefined, hooks: JoinHooks): void {
    const room = this.rooms.open(entrant.sessionId);
    const welcome = hooks.welcome({ seq: room.seq, epoch: room.epoch, peers: room.peers() });
    if (!entrant.send(JSON.stringify(welcome))) return;
    if (resume) room.replay(entrant, resume);
    if (entrant.gone) return;
    hooks.joined();
    room.join(entrant);
  }

  leave(entrant: RoomEntrant): void {
    const room = this.rooms.get(entrant.sessionId);
    if (!room) return;
    room.leave(entrant);
    this.rooms.release(room);
  }

  publish(sessionId: string, message: OutgoingMessage, from: Sender): number {
    const room = this.rooms.open(sessionId);
    try {
      const delivered = room.publish(message, from);
      this.options.stats.messagesDelivered += delivered;
      return delivered;
    } finally {
      this.rooms.release(room);
    }
  }

  async publishCounted(sessionId: string, message: OutgoingMessage, from: Sender): Promise<number> {
    return this.publish(sessionId, message, from);
  }

  hasRoom(sessionId: string): boolean {
    return this.rooms.get(sessionId) !== undefined;
  }

  roomSessionIds(): string[] {
    return this.rooms.all().map((room) => room.sessionId);
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get replayBytes(): number {
    return this.rooms.replayBytes;
  }

  async close(): Promise<void> {
    this.rooms.clear();
  }
}
