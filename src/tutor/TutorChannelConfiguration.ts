/**
 * Settings of the tutor channel. `src/config.ts` fills them from the environment
 * (TUTOR_*, HEARTBEAT_INTERVAL_MS, STALE_TIMEOUT_MS); these defaults mirror its defaults.
 */
import type { Authenticator } from '../auth.ts';
import type { Principal } from '../auth.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionRegistry } from '../registry.ts';
import type { TutorRooms, TutorRoomsOptions } from './TutorRooms.ts';

export interface TutorChannelConfiguration {
  /** Verifies upgrade tokens. Required, no default. */
  authenticator: Authenticator;
  /** The server's shared registry; every tutor connection is listed there. Required, no default. */
  registry: ConnectionRegistry;
  /** Required, no default. */
  logger: Logger;
  /**
   * Largest frame a client may send, in bytes; a larger one closes that socket with 1009.
   * @default 65536
   */
  maxMessageBytes: number;
  /**
   * Period of the heartbeat sweep (one timer per server) that pings every socket, in ms.
   * @default 30000
   */
  heartbeatIntervalMs: number;
  /**
   * A socket silent (no frame, no pong) this long is terminated, in ms. Checked by the sweep,
   * so the actual cut happens up to one `heartbeatIntervalMs` later.
   * @default 60000
   */
  staleTimeoutMs: number;
  /**
   * Sustained messages per second per connection (token bucket refill).
   * @default 50
   */
  rateLimitPerSecond: number;
  /**
   * Messages a connection may send at once (token bucket capacity); more than this many
   * rejected within a minute closes the connection with 1008.
   * @default 100
   */
  rateLimitBurst: number;
  /**
   * Invalid messages per connection in any 60 s before the connection is closed with 1008.
   * @default 20
   */
  invalidMessagesPerMinute: number;
  /**
   * Room messages kept per room for `?since=` replay; 0 disables replay.
   * @default 200
   */
  replayMessages: number;
  /**
   * How long a message stays replayable, in ms; 0 disables replay.
   * @default 120000
   */
  replayMs: number;
  /**
   * Bytes of replay one room keeps (each message's size plus 512 bytes of bookkeeping); the
   * oldest messages go first. 0 disables replay. The default holds the 200 latest messages of
   * ordinary chat (a few hundred bytes each) but only 15 of the largest frames a client may send.
   * @default 1048576
   */
  replayBytes: number;
  /**
   * Bytes of replay all rooms of the server keep together; past it the oldest messages of the
   * whole server go first, so the rooms that have been quiet the longest lose their history
   * before active ones. 0 disables replay. The default is 64 full rooms' worth of
   * `replayBytes`, or about 300 rooms of ordinary chat (200 messages of ~250 characters each).
   * @default 67108864
   */
  replayTotalBytes: number;
  /**
   * How long a room whose last member left is kept, replay included, in ms: a client that
   * reconnects within it still gets what it missed; after it the room and its history are
   * gone and the next room of the session has a new `epoch`. 0 drops empty rooms at once.
   * The default covers a page reload and `TutorChannelClient`'s first five retries.
   * @default 15000
   */
  emptyRoomGraceMs: number;
  /**
   * Bytes queued for one socket beyond which it is closed with 1013 instead of queueing more.
   * @default 4194304
   */
  maxBufferedBytes: number;
  /**
   * On destroy, how long closing sockets get to finish the close handshake before they are
   * terminated, in ms.
   * @default 2000
   */
  closeGraceMs: number;
  /**
   * Throws a CapacityError when the verified principal may not open another connection in the
   * session (per-session and per-user limits); the upgrade is then refused with its status.
   * @default undefined (no limits beyond MAX_CONNECTIONS)
   */
  admit?: (sessionId: string, principal: Principal) => void;
  /**
   * Where the rooms live: builds them from the channel's replay limits and counters. A cluster
   * bus passes its shared rooms (`ClusterBus.tutorRooms`).
   * @default undefined (rooms in this process: LocalRooms)
   */
  rooms?: (options: TutorRoomsOptions) => TutorRooms;
}

export type TutorChannelCollaborators = 'authenticator' | 'registry' | 'logger' | 'admit' | 'rooms';

export const defaultTutorChannelConfiguration: Omit<TutorChannelConfiguration, TutorChannelCollaborators> = {
  maxMessageBytes: 64 * 1024,
  heartbeatIntervalMs: 30_000,
  staleTimeoutMs: 60_000,
  rateLimitPerSecond: 50,
  rateLimitBurst: 100,
  invalidMessagesPerMinute: 20,
  replayMessages: 200,
  replayMs: 120_000,
  replayBytes: 1024 * 1024,
  replayTotalBytes: 64 * 1024 * 1024,
  emptyRoomGraceMs: 15_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  closeGraceMs: 2_000,
};
