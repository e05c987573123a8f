import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisHealth } from '../../src/cluster/RedisHealth.ts';
import { failFastOptions } from '../../src/cluster/RedisLink.ts';
import { createLogger } from '../../src/logger.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startRedis } from '../utils/redis.ts';
import { nextEvent } from '../utils/waitFor.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('RedisHealth', () => {
  it('follows a watched ioredis client: one line per change, no unhandled error while Redis is away', async () => {
    const redis = await startRedis();
    const { lines, logger } = capture();
    const health = new RedisHealth({ logger });
    // How another Redis user (the whiteboard's Redis extension) reports in: watch its client.
    const client = new Redis(redis.url, failFastOptions('whiteboard-test', { commandTimeoutMs: 1_000, connectTimeoutMs: 1_000 }));
    const dispose = health.watch(client, 'whiteboard');
    registerCleanup(() => {
      dispose();
      client.disconnect();
    });
    expect(health.up).toBe(false);
    const up = nextEvent<[boolean]>(health, 'change');
    void client.connect().catch(() => {});
    expect(await up).toEqual([true]);
    expect(health.status()).toMatchObject({ status: 'up', sources: { whiteboard: { up: true } } });

    const down = nextEvent<[boolean]>(health, 'change');
    await redis.stop();
    expect(await down).toEqual([false]);
    expect(health.status()).toMatchObject({ status: 'down', sources: { whiteboard: { up: false } } });
    // Failing commands while down: rejected at once, no queue, still one line.
    await expect(client.ping()).rejects.toThrow();
    health.failed('whiteboard', new Error('again'));

    const back = nextEvent<[boolean]>(health, 'change', () => true, 10_000);
    await redis.start();
    expect(await back).toEqual([true]);
    expect(lines.map((l) => l.event).filter((e) => String(e).startsWith('redis_'))).toEqual(['redis_connected', 'redis_down', 'redis_recovered']);
  });

  it('is up only while every source is', () => {
    const { lines, logger } = capture();
    const health = new RedisHealth({ logger });
    health.succeeded('tutor');
    health.succeeded('whiteboard');
    expect(health.up).toBe(true);
    health.failed('whiteboard', new Error('ECONNREFUSED'));
    health.failed('whiteboard', new Error('ECONNREFUSED again'));
    expect(health.status()).toMatchObject({ status: 'down', error: 'ECONNREFUSED', sources: { tutor: { up: true }, whiteboard: { up: false, error: 'ECONNREFUSED' } } });
    health.succeeded('whiteboard');
    expect(health.up).toBe(true);
    expect(lines.map((l) => l.event)).toEqual(['redis_connected', 'redis_down', 'redis_recovered']);
  });
});
