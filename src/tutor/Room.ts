/**
 * One session's tutor room: who is in it, the seq counter, the replay ring, and fan-out.
 * A message is serialized once and the same bytes are written to every recipient.
 */
import { randomUUID } from 'node:crypto';
import type { Role } from '../auth.ts';
import type { ReplayBudget } from './ReplayBudget.ts';
import { ReplayRing, replayData } from './ReplayRing.ts';
import type { OutgoingMessage, Peer, PresenceMessage, Sender } from './protocol.ts';
import { sendReplay } from './sendReplay.ts';

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
  /** The room's epoch. Default: a new random id. */
  epoch?: string;
  now?: () => number;
}

/** A message stamped elsewhere (another instance, through the cluster bus), delivered as is. */
export interface StampedMessage {
  seq: number;
  ts: number;
  to: string | undefined;
  senderConnectionId: string | undefined;
}

/** What a reconnecting client says it has seen. */
export interface ResumeRequest {
  since: number;
  epoch?: string;
}

export class Room {
  readonly sessionId: string;
  private readonly members = new Map<string, RoomMember>();
  private readonly ring: ReplayRing;
  private readonly now: () => number;
  private lastSeq = 0;
  private currentEpoch: string;

  constructor(sessionId: string, options: RoomOptions) {
    this.sessionId = sessionId;
    this.currentEpoch = options.epoch ?? randomUUID();
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

  /** A new id for every room instance, so seq values from an earlier room are never mistaken for this one's. */
  get epoch(): string {
    return this.currentEpoch;
  }

  /**
   * Takes on the epoch and seq of the shared room this one mirrors (a cluster). Another epoch
   * makes the local replay worthless; the seq only moves forward.
   */
  adopt(epoch: string, seq: number): void {
    if (epoch !== this.currentEpoch) {
      this.ring.clear();
      this.currentEpoch = epoch;
    }
    if (seq > this.lastSeq) this.lastSeq = seq;
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
    this.add(member);
    this.presence('join', member);
  }

  /** Removes a member and tells the others; false when it was not (or no longer) here. */
  leave(member: RoomMember): boolean {
    if (!this.remove(member)) return false;
    this.presence('leave', member);
    return true;
  }

  /** Adds a member without telling anyone (a cluster announces presence itself). */
  add(member: RoomMember): void {
    this.members.set(member.connectionId, member);
  }

  /** Removes a member without telling anyone; false when it was not (or no longer) here. */
  remove(member: RoomMember): boolean {
    if (this.members.get(member.connectionId) !== member) return false;
    this.members.delete(member.connectionId);
    return true;
  }

  /** Writes `data` to every member but `exceptConnectionId` (presence the cluster announced). */
  broadcast(data: Buffer, exceptConnectionId: string | undefined): void {
    for (const member of this.members.values()) if (member.connectionId !== exceptConnectionId) member.send(data);
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
   * Delivers a message stamped elsewhere (`json` is its text, `data` the same bytes in UTF-8) to
   * every member but its sender, honouring `to`; kept for replay when it is newer than anything
   * here. Returns how many connections got it.
   */
  deliver(stamp: StampedMessage, json: string, data: Buffer): number {
    if (stamp.seq > this.lastSeq) {
      this.lastSeq = stamp.seq;
      this.ring.push({ seq: stamp.seq, ts: stamp.ts, to: stamp.to, senderConnectionId: stamp.senderConnectionId, data: replayData(json, data) }, this.now());
    }
    let delivered = 0;
    for (const member of this.members.values()) {
      if (member.connectionId === stamp.senderConnectionId) continue;
      if (stamp.to !== undefined && member.userId !== stamp.to) continue;
      if (member.send(data)) delivered += 1;
    }
    return delivered;
  }

  /**
   * Sends `member` what it missed after `since`: a `replay_gap` error first when some of it is
   * gone (evicted, expired, or from an earlier room instance), then everything still retained.
   */
  replay(member: RoomMember, resume: ResumeRequest): void {
    if (resume.since === this.lastSeq && (resume.epoch === undefined || resume.epoch === this.currentEpoch)) return;
    sendReplay(member, resume, { epoch: this.currentEpoch, seq: this.lastSeq, entries: this.ring.live(this.now()) });
  }

  /** Forgets the replay but keeps seq and epoch (a cluster room whose shared log took over). */
  clearReplay(): void {
    this.ring.clear();
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
