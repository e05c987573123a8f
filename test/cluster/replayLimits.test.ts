import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { ErrorMessage, RoomMessage } from '../../src/tutor/protocol.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import type { TestRedis } from '../utils/redis.ts';
import { eventually } from '../utils/waitFor.ts';
import { join, startCluster, startInstance } from './helpers.ts';

function redisClient(redis: TestRedis): Redis {
  const client = new Redis(redis.url);
  registerCleanup(() => client.quit());
  return client;
}

describe('replay limits of the shared log', () => {
  it('keeps at most TUTOR_REPLAY_MESSAGES and reports the gap, whichever instance the client reconnects to', async () => {
    const cluster = await startCluster(0);
    const { redis } = cluster;
    const env = { TUTOR_REPLAY_MESSAGES: '2' };
    const [a, b] = [await startInstance(cluster, 'inst-a', env), await startInstance(cluster, 'inst-b', env)];
    const keeper = await join(a, 'gap', 'keeper');
    for (let n = 1; n <= 5; n += 1) a.server.tutor.publish('gap', { type: 'hint', n });
    for (let n = 1; n <= 5; n += 1) await keeper.socket.nextOfType('hint');
    const late = await join(b, 'gap', 'late', { since: '1', epoch: keeper.welcome.epoch });
    expect(await late.socket.nextOfType<ErrorMessage>('error')).toMatchObject({ code: 'replay_gap', message: 'messages 2..3 are no longer available' });
    expect([await late.socket.nextOfType<RoomMessage>('hint'), await late.socket.nextOfType<RoomMessage>('hint')].map((m) => m.seq)).toEqual([4, 5]);
    expect(late.socket.received.map((m) => m.type)).toEqual(['welcome', 'error', 'hint', 'hint']);
    expect(await redisClient(redis).xlen('tutorboard:room:{gap}:log')).toBe(2);
  });

  it('drops messages older than TUTOR_REPLAY_MS and bounds the bytes a room keeps', async () => {
    const cluster = await startCluster(0);
    const { redis } = cluster;
    const a = await startInstance(cluster, 'inst-a', { TUTOR_REPLAY_MS: '300', TUTOR_REPLAY_BYTES: '4096' });
    const b = await startInstance(cluster, 'inst-b', { TUTOR_REPLAY_MS: '300', TUTOR_REPLAY_BYTES: '4096' });
    const keeper = await join(a, 'ttl', 'keeper');
    a.server.tutor.publish('ttl', { type: 'old' });
    await keeper.socket.nextOfType('old');
    const client = redisClient(redis);
    // Age is Redis's clock: wait until the entry is past it, then one more message trims it.
    const [[, fields]] = (await client.xrange('tutorboard:room:{ttl}:log', '-', '+')) as [string, string[]][];
    const time = async () => {
      const [seconds, micros] = await client.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    await eventually(async () => (await time()) - Number(fields[7]) >= 300, 5_000, 'the entry to age past TUTOR_REPLAY_MS');
    a.server.tutor.publish('ttl', { type: 'new' });
    await keeper.socket.nextOfType('new');
    const late = await join(b, 'ttl', 'late', { since: '0', epoch: keeper.welcome.epoch });
    expect(await late.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap', message: 'messages 1..1 are no longer available' });
    expect((await late.socket.nextOfType<RoomMessage>('new')).seq).toBe(2);

    // 4096 bytes hold 3 messages of ~800 bytes (each charged its size + 512): the oldest go first.
    const text = 'x'.repeat(700);
    for (let n = 1; n <= 4; n += 1) a.server.tutor.publish('ttl', { type: 'big', n, text });
    for (let n = 1; n <= 4; n += 1) await keeper.socket.nextOfType('big');
    const bytes = Number(await client.hget('tutorboard:room:{ttl}', 'bytes'));
    expect(bytes).toBeLessThanOrEqual(4096);
    expect(await client.xlen('tutorboard:room:{ttl}:log')).toBe(3);
    // A message larger than the room's limit on its own empties the log: a resume reports the gap.
    a.server.tutor.publish('ttl', { type: 'huge', text: 'y'.repeat(5000) });
    await keeper.socket.nextOfType('huge');
    expect(await client.xlen('tutorboard:room:{ttl}:log')).toBe(0);
    const after = await join(b, 'ttl', 'after', { since: '3', epoch: keeper.welcome.epoch });
    expect(await after.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap' });
  });

  it('an empty room stays for the grace while it has something to replay, then its keys are gone and the next room has a new epoch', async () => {
    const cluster = await startCluster(0);
    const { redis } = cluster;
    const env = { TUTOR_EMPTY_ROOM_GRACE_MS: '300' };
    const [a, b] = [await startInstance(cluster, 'inst-a', env), await startInstance(cluster, 'inst-b', env)];
    const client = redisClient(redis);
    const first = await join(a, 'life', 'sam');
    first.socket.send({ type: 'hint' });
    const other = await join(b, 'life', 'tina');
    expect(other.welcome.seq).toBe(1);
    const closed = [first.socket.waitForClose(), other.socket.waitForClose()];
    first.socket.ws.close();
    other.socket.ws.close();
    await Promise.all(closed);
    await eventually(async () => (await client.pttl('tutorboard:room:{life}')) > 0, 5_000, 'the room keys to get an expiry');
    // Within the grace a client coming back anywhere resumes in the same epoch.
    const back = await join(b, 'life', 'sam', { since: '0', epoch: first.welcome.epoch });
    expect(back.welcome).toMatchObject({ epoch: first.welcome.epoch, seq: 1 });
    expect(await client.pttl('tutorboard:room:{life}')).toBe(-1);
    const gone = back.socket.waitForClose();
    back.socket.ws.close();
    await gone;
    await eventually(async () => (await client.exists('tutorboard:room:{life}', 'tutorboard:room:{life}:log')) === 0, 5_000, 'the room keys to expire');
    const fresh = await join(a, 'life', 'sam', { since: '1', epoch: first.welcome.epoch });
    expect(fresh.welcome.epoch).not.toBe(first.welcome.epoch);
    expect(await fresh.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap' });
  });
});
