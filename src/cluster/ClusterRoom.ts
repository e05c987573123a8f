/**
 * One session's tutor room as this instance holds it when rooms are shared through Redis: the
 * local members and their fan-out (a `Room`), what they have been told about the others
 * (`known`), and where this copy stands against the shared room.
 *
 * Modes: `shared` applies the room channel's events in order (messages by seq, presence by pseq,
 * each at most once); `attaching` buffers them while the shared room is brought in step;
 * `local` (Redis unreachable) serves the local members on their own, with local seqs, as a room
 * of one machine would. `RedisRooms` moves rooms between the modes and talks to Redis.
 *
 * A join across instances: the join script adds the member and answers a snapshot (seq, pseq,
 * members, replay); the welcome waits until this room has applied the joiner's own presence
 * event, so every event up to the snapshot is behind it and every later one reaches the joiner
 * exactly once (from its buffer, then as a member).
 */
import type { Role } from '../auth.ts';
import type { ResumeRequest } from '../tutor/Room.ts';
import { Room } from '../tutor/Room.ts';
import type { ReplayEntry } from '../tutor/ReplayRing.ts';
import type { Peer, PresenceMessage } from '../tutor/protocol.ts';
import { sendReplay } from '../tutor/sendReplay.ts';
import type { TutorStats } from '../tutor/TutorStats.ts';
import type { JoinHooks, RoomEntrant } from '../tutor/TutorRooms.ts';
import type { RoomKeys } from './redisKeys.ts';
import type { RoomEvent, RoomSnapshot } from './RoomScripts.ts';

export type RoomMode = 'local' | 'attaching' | 'shared';

/** A connection on its way into the room. */
export interface PendingJoin {
  entrant: RoomEntrant;
  resume: ResumeRequest | undefined;
  hooks: JoinHooks;
  /** Events this room applied while the join was in flight. */
  events: RoomEvent[];
  /** The join script's answer, once it came. */
  snapshot?: RoomSnapshot;
  /** Completes the join even if its own presence event never shows up. */
  timer?: NodeJS.Timeout;
}

export class ClusterRoom {
  readonly sessionId: string;
  readonly keys: RoomKeys;
  readonly room: Room;
  mode: RoomMode = 'attaching';
  /** Bumped on every change of mode: a late answer to an earlier attempt is recognised and ignored. */
  generation = 0;
  /** Whether this copy was ever in step with the shared room (then an attach catches up from `sharedSeq`). */
  everShared = false;
  /** The last shared seq and presence seq applied here. */
  sharedSeq = 0;
  pseq = 0;
  /** Every connection the local members have been told is in the room, on any instance. */
  readonly known = new Map<string, Peer>();
  /** Joins whose script is in flight, by connection id. */
  readonly joins = new Map<string, PendingJoin>();
  /** Joins waiting for an attach to finish. */
  waiting: PendingJoin[] = [];
  /** Messages sent to Redis and not answered yet; local publishes wait behind them. */
  inflightPublishes = 0;
  held: Array<() => void> = [];
  private buffer: RoomEvent[] = [];
  private readonly stats: TutorStats;
  private readonly replayMs: number;

  constructor(sessionId: string, keys: RoomKeys, room: Room, options: { stats: TutorStats; replayMs: number }) {
    this.sessionId = sessionId;
    this.keys = keys;
    this.room = room;
    this.stats = options.stats;
    this.replayMs = options.replayMs;
  }

  /** Nobody here and nobody on the way in. */
  get empty(): boolean {
    return this.room.size === 0 && this.joins.size === 0 && this.waiting.length === 0;
  }

  /** The local members, as the shared room should list them for this instance. */
  localPeers(): Peer[] {
    return this.room.peers();
  }

  /** An event from the room channel; 'epoch' when it belongs to another epoch (the room must attach again). */
  receive(event: RoomEvent): 'ok' | 'epoch' {
    if (this.mode === 'local') return 'ok';
    if (this.mode === 'attaching') {
      this.buffer.push(event);
      return 'ok';
    }
    return this.apply(event);
  }

  /** Starts an attach: events are buffered, joins in flight will be sent again. */
  beginAttach(): number {
    this.generation += 1;
    this.mode = 'attaching';
    this.buffer = [];
    for (const join of this.joins.values()) {
      clearTimeout(join.timer);
      join.snapshot = undefined;
      join.events = [];
      this.waiting.push(join);
    }
    this.joins.clear();
    return this.generation;
  }

  /**
   * The shared room answered an attach: catch up on the messages missed (same epoch only), take
   * its epoch and seq, tell the local members who arrived and who left meanwhile, then apply
   * what was buffered.
   */
  attached(snapshot: RoomSnapshot): void {
    const sameEpoch = snapshot.epoch === this.room.epoch;
    if (sameEpoch && this.everShared) {
      for (const entry of snapshot.entries) this.deliverEntry(entry);
    }
    this.room.adopt(snapshot.epoch, snapshot.seq);
    this.sharedSeq = Math.max(sameEpoch ? this.sharedSeq : 0, snapshot.seq);
    this.pseq = snapshot.pseq;
    const present = new Map(snapshot.members.map((m) => [m.peer.connectionId, m.peer]));
    for (const [id, peer] of this.known) if (!present.has(id)) this.tell('leave', peer);
    for (const [id, peer] of present) if (!this.known.has(id)) this.tell('join', peer);
    this.mode = 'shared';
    this.everShared = true;
    const buffered = this.buffer;
    this.buffer = [];
    // Older than the snapshot (another epoch) means obsolete; a newer epoch shows up again live.
    for (const event of buffered) if (event.epoch === this.room.epoch) this.apply(event);
  }

  /** Redis is out of reach: serve the local members alone, and let everyone on the way in in now. */
  goLocal(): void {
    this.generation += 1;
    this.mode = 'local';
    this.buffer = [];
    const pending = [...this.joins.values(), ...this.waiting];
    this.joins.clear();
    this.waiting = [];
    for (const join of pending) {
      clearTimeout(join.timer);
      this.joinLocally(join);
    }
  }

  /** A join on one machine: welcome from what this instance knows, local replay, presence told here. */
  joinLocally(join: PendingJoin): void {
    const { entrant, resume, hooks } = join;
    if (entrant.gone) return;
    const peers = [...this.known.values()].filter((p) => p.connectionId !== entrant.connectionId);
    const welcome = hooks.welcome({ seq: this.room.seq, epoch: this.room.epoch, peers });
    if (!entrant.send(JSON.stringify(welcome))) return;
    if (resume) this.room.replay(entrant, resume);
    if (entrant.gone) return;
    hooks.joined();
    this.room.add(entrant);
    this.tell('join', { connectionId: entrant.connectionId, userId: entrant.userId, role: entrant.role });
  }

  /** A member left while this room is local: the local members are told here. */
  leftLocally(peer: Peer): void {
    if (this.known.has(peer.connectionId)) this.tell('leave', peer);
  }

  /** The join script answered; the welcome goes out once this room has caught up with it. */
  joinAnswered(join: PendingJoin, snapshot: RoomSnapshot, timeoutMs: number, onLate: () => void): void {
    join.snapshot = snapshot;
    if (this.tryComplete(join)) return;
    join.timer = setTimeout(() => {
      if (this.joins.get(join.entrant.connectionId) !== join) return;
      onLate();
      this.complete(join);
    }, timeoutMs);
    join.timer.unref();
  }

  private apply(event: RoomEvent): 'ok' | 'epoch' {
    if (event.epoch !== this.room.epoch) return 'epoch';
    let told = true;
    if (event.kind === 'message') {
      if (event.seq <= this.sharedSeq) return 'ok';
      this.sharedSeq = event.seq;
      this.stats.messagesDelivered += this.room.deliver({ seq: event.seq, ts: event.ts, to: event.to, senderConnectionId: event.sender }, event.data);
    } else {
      if (event.pseq <= this.pseq) return 'ok';
      this.pseq = event.pseq;
      told = this.announce(event);
    }
    if (this.joins.size === 0) return 'ok';
    for (const join of [...this.joins.values()]) {
      if (told) join.events.push(event);
      if (event.kind === 'presence') this.tryComplete(join);
    }
    return 'ok';
  }

  private tryComplete(join: PendingJoin): boolean {
    if (!join.snapshot || this.pseq < join.snapshot.pseq) return false;
    this.complete(join);
    return true;
  }

  private complete(join: PendingJoin): void {
    const { entrant, resume, hooks } = join;
    const snapshot = join.snapshot!;
    clearTimeout(join.timer);
    this.joins.delete(entrant.connectionId);
    if (entrant.gone) return;
    const peers = snapshot.members.map((m) => m.peer).filter((p) => p.connectionId !== entrant.connectionId);
    if (!entrant.send(JSON.stringify(hooks.welcome({ seq: snapshot.seq, epoch: snapshot.epoch, peers })))) return;
    if (resume) sendReplay(entrant, resume, { epoch: snapshot.epoch, seq: snapshot.seq, entries: this.unexpired(snapshot) });
    for (const event of join.events) {
      if (entrant.gone) return;
      if (event.kind === 'message') {
        if (event.seq <= snapshot.seq || event.sender === entrant.connectionId) continue;
        if (event.to !== undefined && event.to !== entrant.userId) continue;
      } else if (event.pseq <= snapshot.pseq || event.connectionId === entrant.connectionId) {
        continue;
      }
      entrant.send(event.data);
    }
    if (entrant.gone) return;
    hooks.joined();
    this.room.add(entrant);
  }

  private unexpired(snapshot: RoomSnapshot): ReplayEntry[] {
    const { entries, now } = snapshot;
    let first = 0;
    while (first < entries.length && now - entries[first].ts >= this.replayMs) first += 1;
    return entries.slice(first);
  }

  private deliverEntry(entry: ReplayEntry): void {
    if (entry.seq <= this.sharedSeq) return;
    this.sharedSeq = entry.seq;
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
    this.stats.messagesDelivered += this.room.deliver({ seq: entry.seq, ts: entry.ts, to: entry.to, senderConnectionId: entry.senderConnectionId }, data);
  }

  /** A presence event from the channel; forwarded only when it changes what the members know. */
  private announce(event: Extract<RoomEvent, { kind: 'presence' }>): boolean {
    if (event.join) {
      if (this.known.has(event.connectionId)) return false;
      const peer = parsePeer(event.data);
      if (!peer) return false;
      this.known.set(event.connectionId, peer);
    } else if (!this.known.delete(event.connectionId)) {
      return false;
    }
    this.room.broadcast(event.data, event.connectionId);
    return true;
  }

  /** Tells the local members (all but the subject) that `peer` joined or left, and remembers it. */
  private tell(event: PresenceMessage['event'], peer: Peer): void {
    if (event === 'join') this.known.set(peer.connectionId, peer);
    else this.known.delete(peer.connectionId);
    const message: PresenceMessage = { type: 'presence', event, connectionId: peer.connectionId, userId: peer.userId, role: peer.role };
    this.room.broadcast(Buffer.from(JSON.stringify(message)), peer.connectionId);
  }
}

function parsePeer(data: Buffer): Peer | undefined {
  try {
    const { connectionId, userId, role } = JSON.parse(data.toString('utf8')) as { connectionId?: unknown; userId?: unknown; role?: unknown };
    if (typeof connectionId !== 'string' || typeof userId !== 'string' || typeof role !== 'string') return undefined;
    return { connectionId, userId, role: role as Role };
  } catch {
    return undefined;
  }
}
