/**
 * The bus of a cluster (REDIS_URL): tutor rooms shared through Redis (`RedisRooms`), questions
 * answered by every instance (`ClusterQuestions`), and this instance's heartbeat, which also
 * reaps instances that died without a word (`InstanceHeartbeat`). Two Redis connections
 * (`RedisLink`), both reported to `RedisHealth` as `tutor` and `tutor-subscriber`.
 *
 * Startup never waits for Redis longer than `startupWaitMs`: an instance that cannot reach it
 * serves its own clients and joins the others once Redis answers.
 */
import type { Logger } from '../logger.ts';
import type { TutorRooms, TutorRoomsOptions } from '../tutor/TutorRooms.ts';
import type { ClusterAnswers, ClusterBus, QuestionHandler } from './ClusterBus.ts';
import { ClusterQuestions } from './ClusterQuestions.ts';
import { InstanceHeartbeat } from './InstanceHeartbeat.ts';
import { QuestionHandlers } from './QuestionHandlers.ts';
import { defaultKeyPrefix } from './redisKeys.ts';
import type { RedisHealth } from './RedisHealth.ts';
import { RedisLink } from './RedisLink.ts';
import { RedisRooms } from './RedisRooms.ts';
import { RoomScripts } from './RoomScripts.ts';

export interface RedisBusConfiguration {
  /** redis:// or rediss:// URL. Required. */
  url: string;
  /** Required. */
  instanceId: string;
  /** Required. */
  logger: Logger;
  /** Where the bus reports its connections (sources `tutor`, `tutor-subscriber`). Required. */
  health: RedisHealth;
  /**
   * An instance whose heartbeat is older than this is gone and its tutor members leave; the
   * heartbeat runs every quarter of it.
   * @default 10000
   */
  instanceTtlMs: number;
  /**
   * Prefix of every key and channel, so deployments can share one Redis.
   * @default 'tutorboard:'
   */
  keyPrefix: string;
  /**
   * A Redis command without an answer this long fails, and rooms serve their local members.
   * @default 2000
   */
  commandTimeoutMs: number;
  /**
   * Longest wait for a TCP connection to Redis, per attempt.
   * @default 2000
   */
  connectTimeoutMs: number;
  /**
   * Longest an admin question waits for the other instances' answers.
   * @default 2000
   */
  askTimeoutMs: number;
  /**
   * Longest a welcome waits for the joiner's own presence event after Redis answered the join.
   * @default 2000
   */
  joinTimeoutMs: number;
  /**
   * Longest `start()` waits for Redis before the instance serves on its own.
   * @default 3000
   */
  startupWaitMs: number;
}

export const defaultRedisBusConfiguration: Omit<RedisBusConfiguration, 'url' | 'instanceId' | 'logger' | 'health'> = {
  instanceTtlMs: 10_000,
  keyPrefix: defaultKeyPrefix,
  commandTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
  askTimeoutMs: 2_000,
  joinTimeoutMs: 2_000,
  startupWaitMs: 3_000,
};

export class RedisBus implements ClusterBus {
  readonly instanceId: string;
  readonly shared = true;
  readonly configuration: Readonly<RedisBusConfiguration>;
  private readonly link: RedisLink;
  private readonly scripts: RoomScripts;
  private readonly handlers: QuestionHandlers;
  private readonly questions: ClusterQuestions;
  private heartbeat: InstanceHeartbeat | undefined;
  private rooms: RedisRooms | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(configuration: Pick<RedisBusConfiguration, 'url' | 'instanceId' | 'logger' | 'health'> & Partial<RedisBusConfiguration>) {
    this.configuration = Object.freeze({ ...defaultRedisBusConfiguration, ...configuration });
    const { url, instanceId, logger, health, commandTimeoutMs, connectTimeoutMs, keyPrefix, askTimeoutMs } = this.configuration;
    this.instanceId = instanceId;
    this.link = new RedisLink({ url, name: 'tutor', health, logger, commandTimeoutMs, connectTimeoutMs });
    this.scripts = new RoomScripts(this.link.commands);
    this.handlers = new QuestionHandlers(logger);
    this.questions = new ClusterQuestions({
      link: this.link,
      handlers: this.handlers,
      instanceId,
      prefix: keyPrefix,
      timeoutMs: askTimeoutMs,
      instances: () => this.instances(),
      logger,
    });
  }

  tutorRooms(options: TutorRoomsOptions): TutorRooms {
    if (this.rooms) throw new Error('RedisBus.tutorRooms may be called once');
    const { instanceId, keyPrefix, joinTimeoutMs, instanceTtlMs, logger } = this.configuration;
    this.rooms = new RedisRooms({ ...options, link: this.link, scripts: this.scripts, instanceId, prefix: keyPrefix, joinTimeoutMs });
    const { replayMessages, replayBytes, replayMs, emptyRoomGraceMs } = options;
    this.heartbeat = new InstanceHeartbeat({
      link: this.link,
      scripts: this.scripts,
      instanceId,
      ttlMs: instanceTtlMs,
      prefix: keyPrefix,
      limits: { replayMessages, replayBytes, replayMs, emptyRoomGraceMs },
      logger,
    });
    const rooms = this.rooms;
    const heartbeat = this.heartbeat;
    this.heartbeat.on('lapsed', () => rooms.attachAll());
    // Rooms go online only after a heartbeat worked: the first one also clears what a previous
    // process with this id left behind, which must not race the rooms registering members.
    this.link.on('down', () => rooms.setOnline(false));
    this.link.on('up', () => {
      void heartbeat.beat().then((ok) => {
        if (ok && this.link.up) rooms.setOnline(true);
      });
    });
    return this.rooms;
  }

  answer(kind: string, handler: QuestionHandler): () => void {
    return this.handlers.add(kind, handler);
  }

  ask<T>(kind: string, body: unknown): Promise<ClusterAnswers<T>> {
    return this.questions.ask<T>(kind, body);
  }

  instances(): string[] {
    return this.heartbeat?.instances() ?? [this.instanceId];
  }

  /** Connects and subscribes; resolves once Redis answered or after `startupWaitMs`, never rejects. */
  start(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async run(): Promise<void> {
    const { logger, startupWaitMs, url } = this.configuration;
    logger.info({ event: 'cluster_starting', instanceId: this.instanceId, redis: redactRedisUrl(url) }, 'joining the cluster through Redis');
    // Subscribed again on every reconnect by the link; registered before connecting.
    // The link subscribes these again on every reconnect; failing now (not connected yet) is fine.
    this.questions.start().catch(() => {});
    this.link.connect();
    this.heartbeat?.start();
    let timer: NodeJS.Timeout | undefined;
    const up = new Promise<void>((resolve) => {
      if (this.link.up) resolve();
      else this.link.once('up', resolve);
    });
    await Promise.race([up.then(() => this.heartbeat?.beat()), new Promise<void>((resolve) => (timer = setTimeout(resolve, startupWaitMs)))]);
    clearTimeout(timer);
    if (!this.link.up) logger.warn({ event: 'cluster_start_alone', instanceId: this.instanceId }, 'Redis did not answer at startup; serving this instance\'s clients until it does');
  }

  private async shutdown(): Promise<void> {
    await this.rooms?.close();
    await this.heartbeat?.retire();
    await this.link.close();
  }
}

/** A Redis URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://…';
  }
}
