/**
 * Typed calls of the room scripts (roomLua.ts) on one ioredis client, and the decoding
 * of what they return and publish. Replies are read as Buffers: message JSON goes to sockets as
 * the bytes Redis handed over, never decoded and encoded again.
 */
import type { Redis } from 'ioredis';
import type { ReplayEntry } from '../tutor/ReplayRing.ts';
import type { OutgoingMessage, Peer, Sender } from '../tutor/protocol.ts';
import type { RoomKeys } from './redisKeys.ts';
import { attachScript, heartbeatScript, joinScript, leaveScript, publishScript } from './roomLua.ts';

/** A member as the shared room lists it. */
export interface SharedMember {
  instanceId: string;
  peer: Peer;
}

/** The shared room as a join or an attach saw it. */
export interface RoomSnapshot {
  epoch: string;
  seq: number;
  pseq: number;
  members: SharedMember[];
  /** Log entries from the requested seq on, oldest first (expired ones included: see `now`). */
  entries: ReplayEntry[];
  /** Redis's clock when the snapshot was taken, epoch ms. */
  now: number;
}

/** One event of a room channel. */
export type RoomEvent =
  | { kind: 'message'; epoch: string; seq: number; ts: number; to: string | undefined; sender: string | undefined; data: Buffer }
  | { kind: 'presence'; epoch: string; pseq: number; connectionId: string; join: boolean; data: Buffer };

export interface ReplayLimits {
  replayMessages: number;
  replayBytes: number;
  replayMs: number;
  emptyRoomGraceMs: number;
}

/** `<instanceId>\n<peer JSON>`: what the members hash holds for one connection. */
export function memberValue(instanceId: string, peer: Peer): { value: string; peerJson: string } {
  const peerJson = JSON.stringify({ connectionId: peer.connectionId, userId: peer.userId, role: peer.role });
  return { value: `${instanceId}\n${peerJson}`, peerJson };
}

const newline = 0x0a;

/**
 * A message for the publish script: the stamped JSON without its closing brace (the script
 * appends ts and seq). Client-sent from/ts/seq are dropped, never trusted. Throws for a message
 * that cannot be serialized, at once and before any seq is taken, as on one machine.
 */
export function messageHead(message: OutgoingMessage, from: Sender): string {
  const { from: _from, ts: _ts, seq: _seq, ...rest } = message;
  return JSON.stringify({ ...rest, from }).slice(0, -1);
}

/** Decodes a room channel payload; undefined for anything malformed (never throws). */
export function parseRoomEvent(payload: Buffer): RoomEvent | undefined {
  const split = payload.indexOf(newline);
  if (split <= 0) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(payload.toString('utf8', 0, split));
  } catch {
    return undefined;
  }
  if (!Array.isArray(header) || typeof header[1] !== 'string' || typeof header[2] !== 'number') return undefined;
  const data = payload.subarray(split + 1);
  if (header[0] === 'm' && typeof header[3] === 'number') {
    return { kind: 'message', epoch: header[1], seq: header[2], ts: header[3], to: header[4] ?? undefined, sender: header[5] ?? undefined, data };
  }
  if (header[0] === 'p' && typeof header[3] === 'string') {
    return { kind: 'presence', epoch: header[1], pseq: header[2], connectionId: header[3], join: header[4] === 1, data };
  }
  return undefined;
}

type Reply = Array<Buffer | number | Reply>;

interface ScriptClient {
  tbJoinBuffer(...args: Array<string | number>): Promise<Reply>;
  tbLeave(...args: Array<string | number>): Promise<number>;
  tbPublish(...args: Array<string | number>): Promise<[number, number]>;
  tbAttachBuffer(...args: Array<string | number>): Promise<Reply>;
  tbHeartbeat(...args: Array<string | number>): Promise<[number, string[], number]>;
}

export class RoomScripts {
  private readonly client: ScriptClient;

  constructor(redis: Redis) {
    redis.defineCommand('tbJoin', { numberOfKeys: 4, lua: joinScript });
    redis.defineCommand('tbLeave', { numberOfKeys: 4, lua: leaveScript });
    redis.defineCommand('tbPublish', { numberOfKeys: 3, lua: publishScript });
    redis.defineCommand('tbAttach', { numberOfKeys: 4, lua: attachScript });
    redis.defineCommand('tbHeartbeat', { numberOfKeys: 1, lua: heartbeatScript });
    this.client = redis as unknown as ScriptClient;
  }

  async join(
    keys: RoomKeys,
    instanceRooms: string,
    args: { instanceId: string; peer: Peer; epoch: string; floor: number; resume: { since: number; epoch?: string } | undefined; sessionId: string },
  ): Promise<RoomSnapshot> {
    const { value, peerJson } = memberValue(args.instanceId, args.peer);
    const reply = await this.client.tbJoinBuffer(
      keys.room, keys.log, keys.members, instanceRooms,
      args.peer.connectionId, value, peerJson, args.epoch, args.floor, args.resume ? String(args.resume.since) : '', keys.channel, args.sessionId,
      args.resume?.epoch ?? '',
    );
    return snapshotOf(reply);
  }

  async leave(keys: RoomKeys, instanceRooms: string, args: { connectionId: string; lastLocal: boolean; sessionId: string; limits: ReplayLimits }): Promise<void> {
    await this.client.tbLeave(
      keys.room, keys.log, keys.members, instanceRooms,
      args.connectionId, keys.channel, args.lastLocal ? '1' : '0', args.sessionId, args.limits.replayMs, args.limits.emptyRoomGraceMs,
    );
  }

  /** `head` is the stamped message's JSON up to (without) its closing brace; ts and seq are added in Redis. */
  async publish(
    keys: RoomKeys,
    args: { head: string; to: string | undefined; sender: string | undefined; epoch: string; floor: number; count: boolean; limits: ReplayLimits },
  ): Promise<{ seq: number; recipients: number }> {
    const { limits } = args;
    const tail = `${JSON.stringify(args.to ?? null)},${JSON.stringify(args.sender ?? null)}]`;
    const [seq, recipients] = await this.client.tbPublish(
      keys.room, keys.log, keys.members,
      args.head, tail, keys.channel, limits.replayMessages, limits.replayBytes, limits.replayMs, limits.emptyRoomGraceMs,
      args.epoch, args.floor, args.count ? '1' : '0', args.to ?? '', args.sender ?? '',
    );
    return { seq, recipients };
  }

  async attach(
    keys: RoomKeys,
    instanceRooms: string,
    args: { instanceId: string; epoch: string; floor: number; from: number | undefined; sessionId: string; members: Peer[]; limits: ReplayLimits },
  ): Promise<RoomSnapshot> {
    const pairs: string[] = [];
    for (const peer of args.members) pairs.push(peer.connectionId, memberValue(args.instanceId, peer).value);
    const reply = await this.client.tbAttachBuffer(
      keys.room, keys.log, keys.members, instanceRooms,
      args.instanceId, keys.channel, args.epoch, args.floor, args.from === undefined ? '' : String(args.from), args.sessionId,
      args.limits.replayMs, args.limits.emptyRoomGraceMs, ...pairs,
    );
    return snapshotOf(reply);
  }

  /** Renews this instance's heartbeat and reaps the dead; with `retire`, removes this instance instead. */
  async heartbeat(
    instancesKey: string,
    args: { instanceId: string; ttlMs: number; prefix: string; limits: ReplayLimits; retire?: boolean },
  ): Promise<{ previousAgeMs: number | undefined; live: string[]; reaped: number }> {
    const [age, live, reaped] = await this.client.tbHeartbeat(
      instancesKey, args.instanceId, args.ttlMs, args.prefix, args.limits.replayMs, args.limits.emptyRoomGraceMs, args.retire ? '1' : '0',
    );
    return { previousAgeMs: age < 0 ? undefined : age, live, reaped };
  }
}

function text(value: Buffer | number | Reply | undefined): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value ?? '');
}

function snapshotOf(reply: Reply): RoomSnapshot {
  const [epoch, seq, pseq, members, entries, now] = reply;
  return {
    epoch: text(epoch),
    seq: Number(text(seq)),
    pseq: Number(text(pseq)),
    members: (members as Buffer[]).map(parseMember).filter((m): m is SharedMember => m !== undefined),
    entries: (entries as Reply[]).map(parseEntry),
    now: Number(now),
  };
}

function parseMember(value: Buffer): SharedMember | undefined {
  const split = value.indexOf(newline);
  try {
    return { instanceId: value.toString('utf8', 0, split), peer: JSON.parse(value.toString('utf8', split + 1)) as Peer };
  } catch {
    return undefined;
  }
}

function parseEntry(entry: Reply): ReplayEntry {
  const [id, fields] = entry as [Buffer, Buffer[]];
  const to = fields[3].toString('utf8');
  const sender = fields[5].toString('utf8');
  return {
    seq: Number.parseInt(id.toString('latin1'), 10),
    ts: Number(fields[7].toString('latin1')),
    to: to === '' ? undefined : to,
    senderConnectionId: sender === '' ? undefined : sender,
    data: fields[1],
  };
}
