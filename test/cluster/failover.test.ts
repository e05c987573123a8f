/**
 * Instances as real processes behind a round-robin balancer: kill -9 of one under editing, and a
 * rolling restart (SIGTERM one, then the other). Nothing a client was told is saved goes missing.
 */
import { describe, expect, it } from 'vitest';
import type { HocuspocusProvider } from '@hocuspocus/provider';
import { whenSaved } from '../../src/client/whenSaved.ts';
import { Authenticator } from '../../src/auth.ts';
import { spawnServer, type ChildServer } from '../utils/childServer.ts';
import { startLoadBalancer, type LoadBalancer } from '../utils/loadBalancer.ts';
import { createTestDatabase } from '../utils/postgres.ts';
import { newProvider, synced } from '../utils/provider.ts';
import { startRedis } from '../utils/redis.ts';
import { testSecret } from '../utils/server.ts';
import { storedDocument } from './helpers.ts';

const session = 'failover';
const token = new Authenticator({ secret: testSecret }).sign({ sub: 'tutor', sid: session, role: 'tutor' }, 600);

async function setup() {
  const [database, redis] = await Promise.all([createTestDatabase(), startRedis()]);
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    JWT_SECRET: testSecret,
    // Only the update log can save these edits: compaction is far away.
    STORE_DEBOUNCE_MS: '600000',
    STORE_MAX_DEBOUNCE_MS: '600000',
  };
  const start = (id: string) => spawnServer({ ...env, INSTANCE_ID: id }, 20_000);
  const instances = [await start('a'), await start('b')];
  const balancer = await startLoadBalancer(instances.map((i) => i.port));
  return { database, start, instances, balancer };
}

/** Four providers through the balancer: round robin puts two on each instance. */
async function classroom(balancer: LoadBalancer): Promise<HocuspocusProvider[]> {
  const url = `${balancer.url.replace('http', 'ws')}/ws/v2/session/${session}/whiteboard`;
  const providers = [0, 1, 2, 3].map(() => newProvider({ url, name: session, token }));
  await Promise.all(providers.map((p) => synced(p, 10_000)));
  return providers;
}

/** Each provider writes `count` shapes named after itself and round; resolves once all are saved. */
async function write(providers: HocuspocusProvider[], round: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  providers.forEach((provider, p) => {
    for (let i = 0; i < count; i += 1) {
      const key = `${round}-p${p}-${i}`;
      provider.document.getMap('shapes').set(key, i);
      keys.push(key);
    }
  });
  await Promise.all(providers.map((p) => whenSaved(p, { timeoutMs: 30_000 })));
  return keys;
}

function stop(instance: ChildServer, signal: NodeJS.Signals): Promise<number | string> {
  instance.child.kill(signal);
  return instance.exited;
}

describe('instances failing over', () => {
  it('kill -9 of one instance under editing: its clients reconnect to the other and nothing saved is lost', async () => {
    const { database, instances, balancer } = await setup();
    const providers = await classroom(balancer);
    expect([...balancer.counts.values()]).toEqual([2, 2]);
    const saved = await write(providers, 'before', 50);
    // Edits in flight when the instance dies: the providers keep them and resend after reconnecting.
    providers.forEach((p, i) => p.document.getMap('shapes').set(`inflight-p${i}`, 1));
    expect(await stop(instances[0], 'SIGKILL')).toBe('SIGKILL');
    saved.push(...providers.map((_, i) => `inflight-p${i}`), ...(await write(providers, 'after', 50)));
    const stored = await storedDocument(database, session);
    expect(saved.filter((key) => !stored.getMap('shapes').has(key))).toEqual([]);
    for (const provider of providers) expect(provider.document.getMap('shapes').size).toBe(saved.length);
  });

  it('a rolling restart (SIGTERM one instance, start it again, then the other) loses no edit', async () => {
    const { database, start, instances, balancer } = await setup();
    const providers = await classroom(balancer);
    const saved = await write(providers, 'start', 30);
    for (const [index, id] of [[0, 'a2'], [1, 'b2']] as const) {
      providers.forEach((p, i) => p.document.getMap('shapes').set(`draining-${id}-p${i}`, 1));
      expect(await stop(instances[index], 'SIGTERM')).toBe(0);
      saved.push(...providers.map((_, i) => `draining-${id}-p${i}`), ...(await write(providers, `without-${id}`, 20)));
      instances[index] = await start(id);
      balancer.backends = instances.map((i) => i.port);
    }
    saved.push(...(await write(providers, 'end', 20)));
    const stored = await storedDocument(database, session);
    expect(saved.filter((key) => !stored.getMap('shapes').has(key))).toEqual([]);
  });
});
