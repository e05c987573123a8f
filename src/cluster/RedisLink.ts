/**
 * This instance's two Redis connections (commands, and pub/sub), and whether the bus can use
 * them: `up` only while both are ready, every channel is subscribed again and no command has
 * failed since. Emits 'down' at once when that stops, and 'up' when it is back, so rooms fall
 * back to serving their local members and converge again without a restart.
 *
 * Commands fail fast instead of queueing: nothing is sent while disconnected
 * (`enableOfflineQueue: false`), commands in flight are rejected when the connection drops and
 * never sent again by ioredis (`maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands:
 * false`, a room that fell back has already delivered them locally), and a hung Redis fails
 * them after `commandTimeoutMs`. Reconnecting goes on forever with capped backoff.
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RedisHealth } from './RedisHealth.ts';

export interface RedisLinkOptions {
  url: string;
  /** Names the connections in `CLIENT LIST` and the health sources. */
  name: string;
  health: RedisHealth;
  logger: Logger;
  /** A command without an answer this long fails (and counts as an outage). */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

type ChannelListener = (payload: Buffer) => void;

/** ioredis options for a client that never queues work while Redis is away. */
export function failFastOptions(name: string, timeouts: { commandTimeoutMs: number; connectTimeoutMs: number }): RedisOptions {
  return {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    commandTimeout: timeouts.commandTimeoutMs,
    connectTimeout: timeouts.connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1_000),
  };
}

export class RedisLink extends EventEmitter<{ up: []; down: [] }> {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private readonly options: RedisLinkOptions;
  private readonly channelListeners = new Map<string, ChannelListener>();
  private readonly disposers: Array<() => void> = [];
  private commandsReady = false;
  private subscribed = false;
  private failing = false;
  private wasUp = false;
  private closed = false;

  constructor(options: RedisLinkOptions) {
    super();
    this.options = options;
    const timeouts = { commandTimeoutMs: options.commandTimeoutMs, connectTimeoutMs: options.connectTimeoutMs };
    this.commands = new Redis(options.url, failFastOptions(`${options.name}`, timeouts));
    this.subscriber = new Redis(options.url, failFastOptions(`${options.name}-sub`, timeouts));
    const { health } = options;
    this.disposers.push(health.watch(this.commands, options.name), health.watch(this.subscriber, `${options.name}-subscriber`));
    this.commands.on('ready', this.onCommandsReady);
    this.commands.on('close', this.onCommandsClosed);
    this.subscriber.on('ready', this.onSubscriberReady);
    this.subscriber.on('close', this.onSubscriberClosed);
    this.subscriber.on('messageBuffer', this.onMessage);
  }

  /** Both connections ready, subscriptions in place, no failed command since. */
  get up(): boolean {
    return this.commandsReady && this.subscribed && !this.failing && !this.closed;
  }

  connect(): void {
    for (const client of [this.commands, this.subscriber]) client.connect().catch(() => {});
  }

  /** Listens to `channel` from now on (and again after every reconnect); rejects while the subscriber is down. */
  async subscribe(channel: string, listener: ChannelListener): Promise<void> {
    this.channelListeners.set(channel, listener);
    await this.subscriber.subscribe(channel);
  }

  unsubscribe(channel: string): void {
    if (!this.channelListeners.delete(channel)) return;
    if (this.subscriber.status === 'ready') this.subscriber.unsubscribe(channel).catch(() => {});
  }

  /** A command failed: Redis counts as down until a command works again (`commandWorked`). */
  commandFailed(error: unknown): void {
    if (this.closed) return;
    if (!this.failing) this.options.logger.warn({ event: 'redis_command_failed', err: describe(error) }, 'a Redis command failed');
    this.failing = true;
    this.options.health.failed(this.options.name, error);
    this.update();
  }

  commandWorked(): void {
    if (!this.failing || this.closed) return;
    this.failing = false;
    this.options.health.succeeded(this.options.name);
    this.update();
  }

  /** Quits both connections (disconnects after `graceMs`); idempotent. */
  async close(graceMs = 1_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const dispose of this.disposers) dispose();
    this.options.health.forget(this.options.name);
    this.options.health.forget(`${this.options.name}-subscriber`);
    await Promise.all(
      [this.commands, this.subscriber].map(async (client) => {
        let timer: NodeJS.Timeout | undefined;
        const cut = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        });
        await Promise.race([client.status === 'ready' ? client.quit().then(() => {}, () => {}) : Promise.resolve(), cut]);
        clearTimeout(timer);
        client.disconnect();
      }),
    );
  }

  private readonly onCommandsReady = () => {
    this.commandsReady = true;
    this.failing = false;
    this.update();
  };

  private readonly onCommandsClosed = () => {
    this.commandsReady = false;
    this.update();
  };

  private readonly onSubscriberReady = () => {
    const channels = [...this.channelListeners.keys()];
    if (channels.length === 0) {
      this.subscribed = true;
      this.update();
      return;
    }
    this.subscriber.subscribe(...channels).then(
      () => {
        this.subscribed = true;
        this.update();
      },
      // The connection went again; its next 'ready' tries once more.
      (error) => this.options.logger.debug({ event: 'redis_resubscribe_failed', err: describe(error) }, 'resubscribing failed'),
    );
  };

  private readonly onSubscriberClosed = () => {
    this.subscribed = false;
    this.update();
  };

  private readonly onMessage = (channel: Buffer, payload: Buffer) => {
    const listener = this.channelListeners.get(channel.toString());
    if (!listener) return;
    try {
      listener(payload);
    } catch (error) {
      // Thrown from a socket event it would stop the process: one bad event costs only itself.
      this.options.logger.error({ event: 'redis_event_failed', channel: channel.toString(), err: describe(error) }, 'handling a Redis event failed');
    }
  };

  private update(): void {
    const up = this.up;
    if (up === this.wasUp) return;
    this.wasUp = up;
    this.emit(up ? 'up' : 'down');
  }
}
