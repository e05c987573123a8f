/**
 * Whether this instance reaches Redis, from every part that uses it (the tutor bus, the
 * whiteboard's Redis extension): each reports as a named source, and Redis counts as up only
 * while every source is. One log line per change of the whole (`redis_down` with the first error,
 * `redis_recovered`), however many errors a reconnect loop produces; `/ready` shows `status()`,
 * `tutorboard_redis_up` reads `up`. Nothing here stops the server: an instance without Redis
 * keeps serving its own clients.
 *
 * Hooking an ioredis client in: `health.watch(client, 'whiteboard')` before the client connects
 * (ioredis connects in its constructor, so right after it): 'ready' reports success, 'error',
 * 'close' and 'end' report failure, and the 'error' listener it adds means an unreachable Redis
 * never becomes an unhandled 'error' event. Code that sees a command fail for connection reasons
 * calls `failed(source, error)`, and `succeeded(source)` after one works.
 */
import { EventEmitter } from 'node:events';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface RedisSourceState {
  up: boolean;
  /** Epoch ms of the last change. */
  since: number;
  /** Why it is down (the first error of this outage). */
  error?: string;
  /** Watched but not connected yet: its first error is still news. */
  connecting?: boolean;
}

export interface RedisStatus {
  status: 'up' | 'down';
  since: number;
  /** The first error of this outage, while down. */
  error?: string;
  sources: Record<string, RedisSourceState>;
}

/** What `watch` needs of an ioredis client. */
export interface WatchableClient {
  on(event: 'ready' | 'error' | 'close' | 'end', listener: (...args: any[]) => void): unknown;
  off(event: 'ready' | 'error' | 'close' | 'end', listener: (...args: any[]) => void): unknown;
  readonly status: string;
}

interface HealthEvents {
  /** The whole changed: true when every source is up again, false at the first failing one. */
  change: [boolean];
}

export class RedisHealth extends EventEmitter<HealthEvents> {
  private readonly logger: Logger;
  private readonly sources = new Map<string, RedisSourceState>();
  private whole: { up: boolean; since: number; error?: string } | undefined;

  constructor(options: { logger: Logger }) {
    super();
    this.logger = options.logger;
  }

  /** True while every source is up (and at least one reported). */
  get up(): boolean {
    return this.whole?.up ?? false;
  }

  failed(source: string, error: unknown): void {
    const current = this.sources.get(source);
    if (current && !current.up && !current.connecting) return;
    const message = describe(error);
    this.sources.set(source, { up: false, since: Date.now(), error: message });
    this.logger.debug({ event: 'redis_source_down', source, err: message }, 'a Redis connection failed');
    this.settle(message);
  }

  succeeded(source: string): void {
    const current = this.sources.get(source);
    if (current?.up) return;
    this.sources.set(source, { up: true, since: Date.now() });
    if (current) this.logger.debug({ event: 'redis_source_up', source }, 'a Redis connection works again');
    this.settle(undefined);
  }

  /** Drops a source that no longer uses Redis (its client was closed on purpose). */
  forget(source: string): void {
    if (this.sources.delete(source)) this.settle(undefined);
  }

  /**
   * Follows an ioredis client's connection events as `source`; returns the disposer. The client
   * counts as down until its first 'ready' (it may be connecting already).
   */
  watch(client: WatchableClient, source: string): () => void {
    const ready = () => this.succeeded(source);
    const error = (err: unknown) => this.failed(source, err);
    const closed = () => this.failed(source, new Error('connection closed'));
    client.on('ready', ready);
    client.on('error', error);
    client.on('close', closed);
    client.on('end', closed);
    if (client.status === 'ready') this.succeeded(source);
    else if (!this.sources.has(source)) this.sources.set(source, { up: false, since: Date.now(), error: 'connecting', connecting: true });
    return () => {
      client.off('ready', ready);
      client.off('close', closed);
      client.off('end', closed);
      // The 'error' listener stays: a client closing after this must not throw an unhandled 'error'.
    };
  }

  status(): RedisStatus {
    const sources: Record<string, RedisSourceState> = {};
    for (const [name, { connecting: _connecting, ...state }] of this.sources) sources[name] = state;
    const whole = this.whole ?? { up: false, since: Date.now(), error: 'not connected yet' };
    return { status: whole.up ? 'up' : 'down', since: whole.since, ...(whole.error ? { error: whole.error } : {}), sources };
  }

  private settle(error: string | undefined): void {
    const up = this.sources.size > 0 && [...this.sources.values()].every((s) => s.up);
    const before = this.whole;
    if (before && before.up === up) return;
    if (!before && !up && error === undefined) return;
    this.whole = { up, since: Date.now(), ...(up ? {} : { error: error ?? this.firstError() }) };
    if (up) {
      if (before) this.logger.info({ event: 'redis_recovered', downMs: Date.now() - before.since }, 'Redis reachable again; instances converge');
      else this.logger.info({ event: 'redis_connected' }, 'connected to Redis');
    } else {
      this.logger.error({ event: 'redis_down', err: this.whole.error }, 'Redis unreachable; serving this instance\'s clients on their own');
    }
    this.emit('change', up);
  }

  private firstError(): string | undefined {
    for (const state of this.sources.values()) if (!state.up) return state.error;
    return undefined;
  }
}
