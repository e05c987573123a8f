/**
 * The seam between the tutor channel and wherever its rooms live: in this process
 * (`LocalRooms`, one machine) or shared by every instance through Redis (`RedisRooms`). The
 * channel owns sockets, limits and the heartbeat; this owns seq, replay, presence and fan-out.
 */
import type { Logger } from '../logger.ts';
import type { OutgoingMessage, Peer, Sender, WelcomeMessage } from './protocol.ts';
import type { ResumeRequest, RoomMember } from './Room.ts';
import type { TutorStats } from './TutorStats.ts';

/** A connection entering a room. */
export interface RoomEntrant extends RoomMember {
  readonly sessionId: string;
  /** True once the connection has ended (it must not be added then). */
  readonly gone: boolean;
}

/** What the room knows when a connection enters it; the channel turns it into the welcome. */
export interface RoomState {
  seq: number;
  epoch: string;
  peers: Peer[];
}

export interface JoinHooks {
  welcome(state: RoomState): WelcomeMessage;
  /** The entrant got its welcome (and replay) and now receives live traffic. */
  joined(): void;
}

export interface TutorRooms {
  /**
   * Sends `entrant` its welcome, then what it missed since `resume`, then lets live traffic
   * through and calls `hooks.joined`, with nothing interleaved. At once on one machine; across
   * instances once the shared room has answered (never if the entrant is gone by then).
   */
  join(entrant: RoomEntrant, resume: ResumeRequest | undefined, hooks: JoinHooks): void;
  /** The entrant ended (joined or not); the others are told if it had joined. */
  leave(entrant: RoomEntrant): void;
  /**
   * Stamps `message` (from, ts, seq), keeps it for replay and delivers it. Returns how many
   * connections of this instance got it right away (through Redis delivery happens when the
   * message comes back, so 0 there).
   */
  publish(sessionId: string, message: OutgoingMessage, from: Sender): number;
  /** The same, resolving with how many connections it was for, on every instance. Never rejects. */
  publishCounted(sessionId: string, message: OutgoingMessage, from: Sender): Promise<number>;
  hasRoom(sessionId: string): boolean;
  roomSessionIds(): string[];
  readonly roomCount: number;
  readonly replayBytes: number;
  /** Forgets every room; idempotent. Members must have left first. */
  close(): Promise<void>;
}

/** What a rooms implementation gets from the channel. */
export interface TutorRoomsOptions {
  replayMessages: number;
  replayMs: number;
  replayBytes: number;
  replayTotalBytes: number;
  emptyRoomGraceMs: number;
  /** The channel's counters; rooms add their deliveries. */
  stats: TutorStats;
  logger: Logger;
}
