/**
 * Every Redis key and channel name of the cluster bus, in one place (the Lua scripts build the
 * same room names from a session id; keep `roomLua.ts` in step). A room's keys share the hash
 * tag `{sessionId}`. Session ids are `[A-Za-z0-9_-]{1,128}` and instance ids
 * `[A-Za-z0-9._-]{1,100}`, so neither needs escaping.
 */

/** The default prefix of every key and channel. */
export const defaultKeyPrefix = 'tutorboard:';

export interface RoomKeys {
  /** Hash: `epoch`, `seq` (last room seq), `pseq` (last presence seq), `bytes` (replay held). */
  room: string;
  /** Stream of the replayable messages; entry id `<seq>-0`, fields d (JSON), t (to), c (sender connection), s (ts). */
  log: string;
  /** Hash: connectionId → `<instanceId>\n<peer JSON>`, every member on every instance. */
  members: string;
  /** Pub/sub channel of the room's messages and presence. */
  channel: string;
}

export function roomKeys(prefix: string, sessionId: string): RoomKeys {
  const tagged = `${prefix}room:{${sessionId}}`;
  return { room: tagged, log: `${tagged}:log`, members: `${tagged}:members`, channel: `${prefix}room:${sessionId}` };
}

/** The room channel's session id, or undefined for another channel. */
export function sessionOfChannel(prefix: string, channel: string): string | undefined {
  const start = `${prefix}room:`;
  return channel.startsWith(start) ? channel.slice(start.length) : undefined;
}

/** Sorted set: instance id → time of its last heartbeat (Redis clock, ms). */
export function instancesKey(prefix: string): string {
  return `${prefix}instances`;
}

/** Set of the session ids where an instance has tutor members (what to clean up when it dies). */
export function instanceRoomsKey(prefix: string, instanceId: string): string {
  return `${prefix}instance:${instanceId}:rooms`;
}

/** Channel every instance listens on for questions (the admin API). */
export function askChannel(prefix: string): string {
  return `${prefix}ask`;
}

/** Channel where one instance receives the answers to its questions. */
export function replyChannel(prefix: string, instanceId: string): string {
  return `${prefix}reply:${instanceId}`;
}
