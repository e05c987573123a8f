/**
 * Whiteboard documents shared by every instance of a cluster, through Redis, with
 * `@hocuspocus/extension-redis` doing the Yjs work (SyncStep1/2 and awareness over pub/sub).
 *
 * It wraps the upstream extension instead of registering it directly, for three reasons:
 * - A Redis outage must not stop a board: the upstream `afterLoadDocument` throws when the
 *   subscribe fails (the load fails), and every change during an outage logs a failed publish.
 *   Here, while Redis is down, documents load and edit locally; nothing is published.
 * - When Redis is back, every loaded document is subscribed again and announces its state
 *   vector, so peers answer with what it missed and ask for what they missed: boards edited on
 *   two instances during the outage converge without waiting for the next edit on each side.
 * - Its Redlock around `onStoreDocument` is not used: an instance that cannot take the lock
 *   would skip compaction during an outage. The stores merge under their own document lock
 *   (PostgreSQL advisory lock), so compactions of one document never race.
 *
 * Updates from Redis carry the origin `{ source: 'redis' }`; Persistence does not log them again
 * (the instance that received them from a client logged them).
 */
import type {
  Extension,
  afterLoadDocumentPayload,
  afterUnloadDocumentPayload,
  beforeBroadcastStatelessPayload,
  beforeUnloadDocumentPayload,
  onAwarenessUpdatePayload,
  onChangePayload,
  onConfigurePayload,
  Hocuspocus,
} from '@hocuspocus/server';
import { Redis } from '@hocuspocus/extension-redis';
import { Redis as IORedis } from 'ioredis';
import { describe } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';

/** Where Redis failures and recoveries are reported (once per change of state). */
export interface RedisStateSink {
  failed(source: string, error: unknown): void;
  succeeded(source: string): void;
}

export interface ClusterDocumentsConfiguration {
  /** `redis://…` (REDIS_URL). Required, no default. */
  redisUrl: string;
  /** Names this instance in Redis messages (INSTANCE_ID). Required, no default. */
  instanceId: string;
  /**
   * Prefix of the Redis channels.
   * @default 'tutorboard:whiteboard'
   */
  prefix: string;
  /**
   * How long an unloading document keeps listening for last messages from peers, in ms.
   * @default 500
   */
  unloadDelayMs: number;
  /**
   * How long a document loaded while another instance has it open waits for that instance's
   * state before the first client is answered, in ms.
   * @default 1000
   */
  initialSyncTimeoutMs: number;
  /**
   * Longest pause between reconnection attempts to Redis, in ms.
   * @default 2000
   */
  maxReconnectDelayMs: number;
  health?: RedisStateSink;
  logger?: Logger;
}

export const defaultClusterDocumentsConfiguration = {
  prefix: 'tutorboard:whiteboard',
  unloadDelayMs: 500,
  initialSyncTimeoutMs: 1000,
  maxReconnectDelayMs: 2000,
} satisfies Partial<ClusterDocumentsConfiguration>;

const source = 'whiteboard';

export class ClusterDocuments implements Extension {
  extensionName = 'ClusterDocuments';
  readonly configuration: Readonly<ClusterDocumentsConfiguration>;
  private readonly redis: Redis;
  private instance: Hocuspocus | undefined;
  /** False from the first failure until both connections are ready again. */
  private up = false;
  private resyncing: Promise<void> | undefined;
  private destroyed = false;

  constructor(configuration: Partial<ClusterDocumentsConfiguration> & Pick<ClusterDocumentsConfiguration, 'redisUrl' | 'instanceId'>) {
    this.configuration = Object.freeze({ ...defaultClusterDocumentsConfiguration, ...configuration });
    const { redisUrl, instanceId, prefix, unloadDelayMs, initialSyncTimeoutMs, maxReconnectDelayMs } = this.configuration;
    const retryStrategy = (attempt: number) => Math.min(attempt * 100, maxReconnectDelayMs);
    let created = 0;
    this.redis = new Redis({
      identifier: instanceId,
      prefix,
      disconnectDelay: unloadDelayMs,
      awaitInitialSyncTimeout: initialSyncTimeoutMs,
      // The first client publishes: it fails fast while Redis is down instead of queueing every
      // change. The second subscribes: its subscriptions wait for the connection.
      createClient: () =>
        created++ === 0
          ? new IORedis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy })
          : new IORedis(redisUrl, { maxRetriesPerRequest: null, retryStrategy }),
    });
    for (const client of [this.redis.pub, this.redis.sub]) {
      client.on('error', (error: unknown) => this.down(error));
      client.on('close', () => this.down(new Error('connection to Redis closed')));
      client.on('ready', () => this.maybeUp());
    }
  }

  /** Both connections are ready: documents are shared with the other instances. */
  get isUp(): boolean {
    return this.up;
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
    await this.redis.onConfigure({ instance } as onConfigurePayload);
  }

  async afterLoadDocument(payload: afterLoadDocumentPayload): Promise<void> {
    // While Redis is down the board loads and works locally; `resync` joins it up later.
    if (!this.up) return;
    try {
      await this.redis.afterLoadDocument(payload);
    } catch (error) {
      this.down(error);
    }
  }

  async onChange(payload: onChangePayload): Promise<void> {
    if (this.up) await this.redis.onChange(payload);
  }

  async onAwarenessUpdate(payload: onAwarenessUpdatePayload): Promise<void> {
    if (this.up) await this.redis.onAwarenessUpdate(payload);
  }

  async beforeBroadcastStateless(payload: beforeBroadcastStatelessPayload): Promise<void> {
    if (!this.up) return;
    await this.redis.beforeBroadcastStateless(payload).catch((error: unknown) => this.down(error));
  }

  async beforeUnloadDocument(payload: beforeUnloadDocumentPayload): Promise<void> {
    if (this.up) await this.redis.beforeUnloadDocument(payload);
  }

  async afterUnloadDocument(payload: afterUnloadDocumentPayload): Promise<void> {
    await this.redis.afterUnloadDocument(payload).catch(() => {});
  }

  async onDestroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.up = false;
    try {
      await this.redis.onDestroy();
    } catch {
      // Redlock's quit fails on a connection that is down; the disconnects below still run.
    }
    this.redis.pub.disconnect(false);
    this.redis.sub.disconnect(false);
  }

  private down(error: unknown): void {
    if (this.destroyed) return;
    if (this.up) this.configuration.logger?.debug({ event: 'cluster_documents_down', err: describe(error) }, 'whiteboards continue locally');
    this.up = false;
    this.configuration.health?.failed(source, error);
  }

  private maybeUp(): void {
    if (this.destroyed || this.up) return;
    if (this.redis.pub.status !== 'ready' || this.redis.sub.status !== 'ready') return;
    this.up = true;
    this.configuration.health?.succeeded(source);
    this.resyncing ??= this.resync().finally(() => (this.resyncing = undefined));
  }

  /**
   * Subscribes every loaded document again and announces its state vector (the upstream
   * `afterLoadDocument` does both, and asks peers for their awareness): each side then receives
   * what the other has and it lacks.
   */
  private async resync(): Promise<void> {
    const documents = [...(this.instance?.documents ?? [])];
    await Promise.all(
      documents.map(async ([documentName, document]) => {
        if (document.isLoading) return; // its own afterLoadDocument follows
        try {
          await this.redis.afterLoadDocument({ documentName, document } as afterLoadDocumentPayload);
        } catch (error) {
          this.down(error);
        }
      }),
    );
    if (documents.length > 0) {
      this.configuration.logger?.info({ event: 'cluster_documents_resynced', documents: documents.length }, 'whiteboards shared across instances again');
    }
  }
}
