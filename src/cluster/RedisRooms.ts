/**
 * Tutor rooms shared by every instance through Redis. Each message takes its seq, is logged for
 * replay (a stream per room, trimmed by the replay limits) and published in one Lua script; every
 * instance with members in the room applies the channel's events in order, its own messages
 * included, so every client sees seqs strictly increasing. Presence lives in a hash per room;
 * a welcome lists the members of every instance. `?since=` replays from the shared log, whichever
 * instance the client reaches.
 *
 * When Redis is unreachable a room serves its local members on its own (local seqs, local
 * replay, local presence), as on one machine; when Redis is back it attaches again: the shared
 * seq is raised above every local one, this instance's members are registered again, and the
 * messages it missed are delivered from the log. Nothing here ever throws into the channel.
 */
import { randomUUID } from 'node:crypto';
import { describe } from '../errors.ts';
import { ReplayBudget } from '../tutor/ReplayBudget.ts';
import { Room, type ResumeRequest } from '../tutor/Room.ts';
import type { OutgoingMessage, Sender } from '../tutor/protocol.ts';
import type { JoinHooks, RoomEntrant, TutorRooms, TutorRoomsOptions } from '../tutor/TutorRooms.ts';
import { ClusterRoom, type PendingJoin } from './ClusterRoom.ts';
import { ClusterRoomSet } from './ClusterRoomSet.ts';
import { Inflight } from './Inflight.ts';
import { instanceRoomsKey, roomKeys } from './redisKeys.ts';
import type { RedisLink } from './RedisLink.ts';
import { messageHead, parseRoomEvent, type ReplayLimits, type RoomScripts } from './RoomScripts.ts';

export interface RedisRoomsOptions extends TutorRoomsOptions {
  link: RedisLink;
  scripts: RoomScripts;
  instanceId: string;
  prefix: string;
  /** Longest a welcome waits for the joiner's own presence event after the join script answered. */
  joinTimeoutMs: number;
}

export class RedisRooms implements TutorRooms {
  private readonly options: RedisRoomsOptions;
  private readonly rooms: ClusterRoomSet;
  private readonly budget: ReplayBudget;
  private readonly limits: ReplayLimits;
  private readonly instanceRooms: string;
  /** Scripts in flight, so a shutdown can let the last leaves reach Redis. */
  private readonly inflight = new Inflight();
  /** Whether rooms may use Redis: the link is up and this instance is registered (set by the bus). */
  private online = false;
  private closed = false;

  constructor(options: RedisRoomsOptions) {
    this.options = options;
    this.budget = new ReplayBudget(options.replayTotalBytes);
    const { replayMessages, replayBytes, replayMs, replayTotalBytes, emptyRoomGraceMs } = options;
    const off = replayMessages === 0 || replayBytes === 0 || replayMs === 0 || replayTotalBytes === 0;
    this.limits = { replayMessages: off ? 0 : replayMessages, replayBytes, replayMs: off ? 0 : replayMs, emptyRoomGraceMs };
    this.instanceRooms = instanceRoomsKey(options.prefix, options.instanceId);
    this.rooms = new ClusterRoomSet({
      emptyRoomGraceMs: options.emptyRoomGraceMs,
      create: (sessionId) => this.create(sessionId),
      dropped: (room) => options.link.unsubscribe(room.keys.channel),
    });
  }

  /**
   * Online: every room attaches (after an outage, rooms converge). Offline: every room serves its
   * local members on its own. The bus calls this as Redis comes and goes.
   */
  setOnline(online: boolean): void {
    if (this.closed || online === this.online) return;
    this.online = online;
    if (online) this.attachAll();
    else for (const room of this.rooms.all()) room.goLocal();
  }

  /** Brings every room in step with Redis again (also when this instance was taken for gone). */
  attachAll(): void {
    if (this.closed || !this.online) return;
    for (const room of this.rooms.all()) this.attach(room);
  }

  join(entrant: RoomEntrant, resume: ResumeRequest | undefined, hooks: JoinHooks): void {
    const room = this.open(entrant.sessionId);
    const join: PendingJoin = { entrant, resume, hooks, events: [] };
    if (room.mode === 'local') room.joinLocally(join);
    else if (room.mode === 'attaching') room.waiting.push(join);
    else this.sendJoin(room, join);
  }

  leave(entrant: RoomEntrant): void {
    const room = this.rooms.get(entrant.sessionId);
    if (!room) return;
    const id = entrant.connectionId;
    clearTimeout(room.joins.get(id)?.timer);
    room.joins.delete(id);
    room.waiting = room.waiting.filter((join) => join.entrant !== entrant);
    const member = room.room.remove(entrant);
    const peer = { connectionId: id, userId: entrant.userId, role: entrant.role };
    if (room.mode === 'local') {
      if (member) room.leftLocally(peer);
    } else {
      // Whatever stage it reached (a join script may have run even if no welcome went out), and
      // sent after that script on the same connection, so Redis never keeps a member that left.
      const generation = room.generation;
      this.inflight.track(this.options.scripts.leave(room.keys, this.instanceRooms, { connectionId: id, lastLocal: room.empty, sessionId: room.sessionId, limits: this.limits })).catch(
        (error: unknown) => {
          this.failed(error);
          if (room.generation === generation) room.goLocal();
          if (member) room.leftLocally(peer);
        },
      );
    }
    this.release(room);
  }

  publish(sessionId: string, message: OutgoingMessage, from: Sender): number {
    const room = this.rooms.get(sessionId) ?? (this.online ? undefined : this.open(sessionId));
    if (room?.mode === 'local') return this.publishLocally(room, message, from);
    void this.publishShared(room, sessionId, message, from, messageHead(message, from), false);
    return 0;
  }

  publishCounted(sessionId: string, message: OutgoingMessage, from: Sender): Promise<number> {
    const room = this.rooms.get(sessionId) ?? (this.online ? undefined : this.open(sessionId));
    if (room?.mode === 'local') return Promise.resolve(this.publishLocally(room, message, from));
    return this.publishShared(room, sessionId, message, from, messageHead(message, from), true);
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
    return this.budget.usedBytes;
  }

  async close(graceMs = 1_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inflight.settled(graceMs);
    this.rooms.clear();
  }

  private open(sessionId: string): ClusterRoom {
    return this.rooms.open(sessionId);
  }

  private create(sessionId: string): ClusterRoom {
    const { replayMessages, replayMs, replayBytes, stats } = this.options;
    const local = new Room(sessionId, { replayMessages, replayMs, replayBytes, replayBudget: this.budget });
    const room = new ClusterRoom(sessionId, roomKeys(this.options.prefix, sessionId), local, { stats, replayMs });
    // The attach answers asynchronously, when the set holds the room.
    if (this.online && !this.closed) this.attach(room);
    else room.goLocal();
    return room;
  }

  /** Subscribes, then brings the shared room and this copy in step; joins waiting for it go on after. */
  private attach(room: ClusterRoom): void {
    const generation = room.beginAttach();
    const { link, scripts, instanceId, logger } = this.options;
    const run = async () => {
      await link.subscribe(room.keys.channel, (payload) => this.onEvent(room.sessionId, payload));
      if (room.generation !== generation) return;
      const snapshot = await scripts.attach(room.keys, this.instanceRooms, {
        instanceId,
        epoch: room.room.epoch,
        floor: room.room.seq,
        from: room.everShared ? room.sharedSeq + 1 : undefined,
        sessionId: room.sessionId,
        members: room.localPeers(),
        limits: this.limits,
      });
      if (room.generation !== generation || !this.rooms.holds(room)) return;
      room.attached(snapshot);
      const waiting = room.waiting;
      room.waiting = [];
      for (const join of waiting) this.sendJoin(room, join);
    };
    this.inflight.track(run()).catch((error: unknown) => {
      if (room.generation !== generation) return;
      logger.debug({ event: 'tutor_room_attach_failed', sessionId: room.sessionId, err: describe(error) }, 'could not attach a tutor room');
      this.failed(error);
      room.goLocal();
    });
  }

  private sendJoin(room: ClusterRoom, join: PendingJoin): void {
    const { entrant } = join;
    if (entrant.gone) return;
    room.joins.set(entrant.connectionId, join);
    const generation = room.generation;
    const peer = { connectionId: entrant.connectionId, userId: entrant.userId, role: entrant.role };
    const request = this.options.scripts.join(room.keys, this.instanceRooms, {
      instanceId: this.options.instanceId,
      peer,
      epoch: room.room.epoch,
      floor: room.room.seq,
      resume: join.resume,
      sessionId: room.sessionId,
    });
    this.inflight.track(request).then(
      (snapshot) => {
        if (room.generation !== generation || room.joins.get(entrant.connectionId) !== join) return;
        if (snapshot.epoch !== room.room.epoch) {
          // The shared room was lost and made again meanwhile: attach, then this join goes again.
          this.attach(room);
          return;
        }
        room.joinAnswered(join, snapshot, this.options.joinTimeoutMs, () =>
          this.options.logger.warn({ event: 'tutor_join_late', sessionId: room.sessionId, connectionId: entrant.connectionId }, 'welcomed without seeing its own presence event'),
        );
      },
      (error: unknown) => {
        if (room.generation !== generation) return;
        this.failed(error);
        room.goLocal();
      },
    );
  }

  /** Never rejects: a failed script delivers the message on this instance instead. */
  private async publishShared(
    room: ClusterRoom | undefined,
    sessionId: string,
    message: OutgoingMessage,
    from: Sender,
    head: string,
    count: boolean,
  ): Promise<number> {
    const to = typeof message.to === 'string' ? message.to : undefined;
    if (room) room.inflightPublishes += 1;
    try {
      const { recipients } = await this.inflight.track(
        this.options.scripts.publish(roomKeys(this.options.prefix, sessionId), {
          head,
          to,
          sender: from.connectionId,
          epoch: room?.room.epoch ?? randomUUID(),
          floor: room?.room.seq ?? 0,
          count,
          limits: this.limits,
        }),
      );
      return recipients;
    } catch (error) {
      this.failed(error);
      // Delivered here instead, in the order it was sent: the rejections come in order.
      const local = room && this.rooms.holds(room) ? room : this.open(sessionId);
      if (local.mode !== 'local') local.goLocal();
      try {
        return this.deliverLocally(local, message, from);
      } catch (failure) {
        this.options.logger.error({ event: 'tutor_publish_failed', sessionId, err: describe(failure) }, 'a tutor message could not be delivered');
        return 0;
      }
    } finally {
      if (room) this.settled(room);
    }
  }

  private publishLocally(room: ClusterRoom, message: OutgoingMessage, from: Sender): number {
    if (room.inflightPublishes > 0) {
      room.held.push(() => void this.publish(room.sessionId, message, from));
      return 0;
    }
    return this.deliverLocally(room, message, from);
  }

  private deliverLocally(room: ClusterRoom, message: OutgoingMessage, from: Sender): number {
    const delivered = room.room.publish(message, from);
    this.options.stats.messagesDelivered += delivered;
    this.release(room);
    return delivered;
  }

  private settled(room: ClusterRoom): void {
    room.inflightPublishes -= 1;
    if (room.inflightPublishes > 0) return;
    const held = room.held;
    room.held = [];
    for (const send of held) send();
  }

  private onEvent(sessionId: string, payload: Buffer): void {
    const room = this.rooms.get(sessionId);
    const event = parseRoomEvent(payload);
    if (!room || !event) return;
    if (room.receive(event) === 'epoch') this.attach(room);
  }

  /** A script failed: Redis counts as down (the link goes down, the bus takes every room offline). */
  private failed(error: unknown): void {
    this.options.link.commandFailed(error);
    this.setOnline(false);
  }

  private release(room: ClusterRoom): void {
    if (!this.closed) this.rooms.release(room);
  }
}

