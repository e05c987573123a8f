/**
 * This instance's heartbeat in Redis, and the reaper that runs with it. Every `ttlMs / 4` the
 * instance renews its entry; in the same script every instance whose entry is older than
 * `ttlMs` (a `kill -9`, a lost machine) loses its tutor members, each announced as left, exactly
 * once for the whole cluster. If this instance finds its own entry gone (it was reaped while cut
 * off), it emits 'lapsed' so its rooms register their members again.
 */
import { EventEmitter } from 'node:events';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { instancesKey } from './redisKeys.ts';
import type { RedisLink } from './RedisLink.ts';
import type { ReplayLimits, RoomScripts } from './RoomScripts.ts';

export interface InstanceHeartbeatOptions {
  link: RedisLink;
  scripts: RoomScripts;
  instanceId: string;
  ttlMs: number;
  prefix: string;
  limits: ReplayLimits;
  logger: Logger;
}

export class InstanceHeartbeat extends EventEmitter<{ lapsed: [] }> {
  private readonly options: InstanceHeartbeatOptions;
  private timer: NodeJS.Timeout | undefined;
  /** The entries a previous process with this id left were cleaned up (once, before anything else). */
  private registered = false;
  /** This instance's entry should be in Redis: its absence then means it was reaped. */
  private expectEntry = false;
  private running: Promise<boolean> | undefined;
  private live: string[];
  private stopped = false;

  constructor(options: InstanceHeartbeatOptions) {
    super();
    this.options = options;
    this.live = [options.instanceId];
    // Across a disconnection the entry may have lapsed for good reason; the rooms attach anyway.
    options.link.on('down', () => (this.expectEntry = false));
  }

  /** Instances whose heartbeat is fresh, this one included. */
  instances(): string[] {
    return this.live.includes(this.options.instanceId) ? [...this.live] : [this.options.instanceId, ...this.live];
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.beat(), Math.max(50, Math.floor(this.options.ttlMs / 4)));
    this.timer.unref();
  }

  /** One heartbeat now (also the probe that tells a failing link it works again); true when it worked. Never rejects. */
  beat(): Promise<boolean> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Before the first heartbeat: members a previous process with this id left behind are
   * announced as left, and a live instance using the same id is reported.
   */
  async register(): Promise<void> {
    const { scripts, instanceId, ttlMs, prefix, limits, logger } = this.options;
    const result = await scripts.heartbeat(instancesKey(prefix), { instanceId, ttlMs, prefix, limits, retire: true });
    if (result.previousAgeMs !== undefined && result.previousAgeMs < ttlMs) {
      logger.warn({ event: 'instance_id_in_use', instanceId, lastSeenMsAgo: result.previousAgeMs }, 'this INSTANCE_ID had a heartbeat moments ago: a restart, or two instances share the id');
    }
    if (result.reaped > 0) logger.info({ event: 'instance_members_reaped', instanceId, members: result.reaped }, 'members of this instance\'s previous process left');
  }

  /** Stops beating and removes this instance (its remaining members leave); bounded by the command timeout. */
  async retire(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (!this.options.link.up || !this.registered) return;
    const { scripts, instanceId, ttlMs, prefix, limits } = this.options;
    await scripts.heartbeat(instancesKey(prefix), { instanceId, ttlMs, prefix, limits, retire: true }).catch(() => {});
  }

  private async run(): Promise<boolean> {
    const { link, scripts, instanceId, ttlMs, prefix, limits, logger } = this.options;
    if (this.stopped || link.commands.status !== 'ready') return false;
    try {
      if (!this.registered) await this.register();
      this.registered = true;
      const result = await scripts.heartbeat(instancesKey(prefix), { instanceId, ttlMs, prefix, limits });
      this.live = result.live;
      if (result.reaped > 0) logger.info({ event: 'instances_reaped', members: result.reaped }, 'members of instances that stopped answering left their rooms');
      const lapsed = this.expectEntry && result.previousAgeMs === undefined;
      this.expectEntry = true;
      if (lapsed) {
        logger.warn({ event: 'instance_lapsed', instanceId }, 'this instance was taken for gone; registering its members again');
        this.emit('lapsed');
      }
      link.commandWorked();
      return true;
    } catch (error) {
      logger.debug({ event: 'heartbeat_failed', err: describe(error) }, 'instance heartbeat failed');
      link.commandFailed(error);
      return false;
    }
  }
}
