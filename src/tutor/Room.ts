/**
 * One session's tutor room: who is in it, the seq counter, the replay ring, and fan-out.
 * A message is serialized once and the same bytes are written to every recipient.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '../auth.ts';
import type { ReplayBudget } from './ReplayBudget.ts';
import { ReplayRing, replayData } from './ReplayRing.ts';
import type { ErrorMessage, OutgoingMessage, Peer, PresenceMessage, Sender } from './protocol.ts';

/** What the room needs from a connection. */
export interface RoomMember {
  readonly connectionId: string;
  readonly userId: string;
  readonly role: Role;
  /** Writes one text frame (a Buffer holds UTF-8 JSON); false when the connection is gone (or was just closed as too slow). */
  send(data: string | Buffer): boolean;
}

export interface RoomOptions {
  /** Messages kept for `?since=` replay; 0 disables replay. */
  replayMessages: number;
  /** How long a message stays replayable, in ms; 0 disables replay. */
  replayMs: number;
  /** Bytes of replay kept per room (see ReplayRing); 0 disables replay. Default: no byte limit. */
  replayBytes?: number;
  /** The server-wide replay budget the room's entries are charged to. Default: none. */
  replayBudget?: ReplayBudget;
  now?: () => number;
}

/** What a reconnecting client says it has seen. */
export interface ResumeRequest {
  since: number;
  epoch?: string;
}

export class Room {
  readonly sessionId: string;
  /** A new id for every room instance, so seq values from an earlier room are never mistaken for this one's. */
  readonly epoch = randomUUID();
  private readonly members = new Map<string, RoomMember>();
  private readonly ring: ReplayRing;
  private readonly now: () => number;
  private lastSeq = 0;

  constructor(sessionId: string, options: RoomOptions) {
    this.sessionId = sessionId;
    this.ring = new ReplayRing({
      messages: options.replayMessages,
      bytes: options.replayBytes ?? Number.POSITIVE_INFINITY,
      ttlMs: options.replayMs,
      budget: options.replayBudget,
    });
    this.now = options.now ?? Date.now;
  }

  get seq(): number {
    return this.lastSeq;
  }

  get size(): number {
    return this.members.size;
  }

  peers(exceptConnectionId?: string): Peer[] {
    const peers: Peer[] = [];
    for (const m of this.members.values()) {
      if (m.connectionId !== exceptConnectionId) peers.push({ connectionId: m.connectionId, userId: m.userId, role: m.role });
    }
    return peers;
  }

  /** Adds a member and tells the others. */
  join(member: RoomMember): void {
    this.members.set(member.connectionId, member);
    this.presence('join', member);
  }

  /** Removes a member and tells the others; false when it was not (or no longer) here. */
  leave(member: RoomMember): boolean {
    if (this.members.get(member.connectionId) !== member) return false;
    this.members.delete(member.connectionId);
    this.presence('leave', member);
    return true;
  }

  /**
   * Stamps, records and delivers a room message to every member except the sender
   * (and only to `to`'s connections when addressed). Returns how many connections got it.
   */
  publish(message: OutgoingMessage, from: Sender): number {
    const ts = this.now();
    const seq = this.lastSeq + 1;
    // Spread first so that client-sent from/ts/seq are overwritten, never trusted. Encoded once:
    // `ws` would otherwise UTF-8-encode the same string again for every recipient.
    const json = JSON.stringify({ ...message, from, ts, seq });
    const data = Buffer.from(json);
    // Only now: a message that cannot be serialized (a server-side caller's cycle) uses no seq.
    this.lastSeq = seq;
    const to = typeof message.to === 'string' ? message.to : undefined;
    this.ring.push({ seq, ts, to, senderConnectionId: from.connectionId, data: replayData(json, data) });
    let delivered = 0;
    for (const member of this.members.values()) {
      if (member.connectionId === from.connectionId) continue;
      if (to !== undefined && member.userId !== to) continue;
      if (member.send(data)) delivered += 1;
    }
    return delivered;
  }

  /**
   * Sends `member` what it missed after `since`: a `replay_gap` error first when some of it is
   * gone (evicted, expired, or from an earlier room instance), then everything still retained.
   */
  replay(member: RoomMember, resume: ResumeRequest): void {
    const sameRoom = (resume.epoch === undefined || resume.epoch === this.epoch) && resume.since <= this.lastSeq;
    // From another room instance, every message of this one is new to the client.
    const since = sameRoom ? resume.since : 0;
    if (since >= this.lastSeq && sameRoom) return;
    const entries = this.ring.live(this.now());
    const firstRetained = entries.length > 0 ? entries[0].seq : this.lastSeq + 1;
    if (!sameRoom || firstRetained > since + 1) {
      const message = sameRoom
        ? `messages ${since + 1}..${firstRetained - 1} are no longer available`
        : resume.epoch === this.epoch
          ? `since ${resume.since} is past this room's latest seq ${this.lastSeq}; sending everything retained`
          : 'the room was restarted since you left; earlier messages are lost';
      const gap: ErrorMessage = { type: 'error', code: 'replay_gap', message };
      if (!member.send(JSON.stringify(gap))) return;
    }
    for (const entry of entries) {
      if (entry.seq <= since) continue;
      if (entry.to !== undefined && entry.to !== member.userId) continue;
      if (entry.senderConnectionId === member.connectionId) continue;
      if (!member.send(entry.data)) return;
    }
  }

  /** How long an empty room should be kept for replay, in ms (0: drop it now). */
  retainFor(): number {
    return this.ring.retainFor(this.now());
  }

  /** Bytes its replay holds, as charged to the budget. */
  get replayBytes(): number {
    return this.ring.bytes;
  }

  /** Lets go of the replay (and its share of the budget); for a room being dropped. */
  dispose(): void {
    this.ring.clear();
  }

  /** Members, for shutdown and the heartbeat sweep. */
  list(): RoomMember[] {
    return [...this.members.values()];
  }

  private presence(event: PresenceMessage['event'], member: RoomMember): void {
    if (this.members.size === 0) return;
    const message: PresenceMessage = {
      type: 'presence',
      event,
      connectionId: member.connectionId,
      userId: member.userId,
      role: member.role,
    };
    const data = Buffer.from(JSON.stringify(message));
    for (const other of this.members.values()) {
      if (other.connectionId !== member.connectionId) other.send(data);
    }
  }
}
