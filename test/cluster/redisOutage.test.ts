import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { call, sample, scrape } from '../ops/helpers.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { eventually } from '../utils/waitFor.ts';
import { join, startCluster, startInstance } from './helpers.ts';

function logged(server: TestServer, event: string): number {
  return server.logs.filter((line) => line.event === event).length;
}

describe('a Redis outage', () => {
  it('keeps each instance serving its own clients, /ready 200 with redis down; rooms converge again when Redis returns', async () => {
    const cluster = await startCluster(0);
    const { redis } = cluster;
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const alice = await join(a, 'out', 'alice', {}, 'tutor');
    const bob = await join(b, 'out', 'bob');
    await alice.socket.next((m) => m.type === 'presence' && m.userId === 'bob');
    alice.socket.send({ type: 'hint', n: 1 });
    expect((await bob.socket.nextOfType<RoomMessage>('hint')).seq).toBe(1);
    expect(sample(await scrape(a), 'tutorboard_redis_up')).toBe(1);

    await redis.stop();
    await eventually(() => logged(a, 'redis_down') === 1 && logged(b, 'redis_down') === 1, 10_000, 'both instances to notice');
    const ready = await call(a, 'GET', '/ready');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', redis: { status: 'down' } } });
    expect(ready.body.redis.sources.tutor.up).toBe(false);
    expect(sample(await scrape(a), 'tutorboard_redis_up')).toBe(0);

    // Each instance alone: a newcomer on a is welcomed (with the peers a knew), and local traffic flows.
    const carol = await join(a, 'out', 'carol');
    expect(carol.welcome.peers.map((p) => p.userId).sort()).toEqual(['alice', 'bob']);
    expect(await alice.socket.next((m) => m.type === 'presence' && m.userId === 'carol')).toMatchObject({ event: 'join' });
    alice.socket.send({ type: 'hint', n: 2 });
    const during = await carol.socket.nextOfType<RoomMessage>('hint');
    expect(during).toMatchObject({ n: 2, seq: 2, from: { userId: 'alice' } });
    const dave = await join(b, 'out', 'dave');
    bob.socket.send({ type: 'answer', n: 1 });
    expect(await dave.socket.nextOfType<RoomMessage>('answer')).toMatchObject({ n: 1, from: { userId: 'bob' } });

    await redis.start();
    await eventually(() => logged(a, 'redis_recovered') === 1 && logged(b, 'redis_recovered') === 1, 15_000, 'both instances to recover');
    expect(sample(await scrape(b), 'tutorboard_redis_up')).toBe(1);
    expect((await call(b, 'GET', '/ready')).body.redis).toMatchObject({ status: 'up' });

    // Presence converges: each side learns who arrived on the other during the outage.
    await bob.socket.next((m) => m.type === 'presence' && m.event === 'join' && m.userId === 'carol', 10_000);
    await alice.socket.next((m) => m.type === 'presence' && m.event === 'join' && m.userId === 'dave', 10_000);
    // Messages cross again, with seqs above every seq handed out on either side during the outage.
    alice.socket.send({ type: 'hint', n: 3 });
    const crossed = await bob.socket.next<RoomMessage>((m) => m.type === 'hint' && (m as RoomMessage).n === 3, 10_000);
    const seen = await carol.socket.nextOfType<RoomMessage>('hint');
    expect(seen.n).toBe(3);
    expect(seen.seq).toBe(crossed.seq);
    expect(crossed.seq).toBeGreaterThan(during.seq);
    dave.socket.send({ type: 'answer', n: 2 });
    expect(await alice.socket.next<RoomMessage>((m) => m.type === 'answer' && (m as RoomMessage).n === 2)).toMatchObject({ from: { userId: 'dave' } });
    const late = await join(a, 'out', 'erin');
    expect(late.welcome.peers.map((p) => p.userId).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);

    // One line per change of state, not one per failed reconnect; leaving the cluster on shutdown is no outage.
    await a.stop();
    await b.stop();
    expect([logged(a, 'redis_down'), logged(a, 'redis_recovered'), logged(b, 'redis_down'), logged(b, 'redis_recovered')]).toEqual([1, 1, 1, 1]);
    const errors = [...a.logs, ...b.logs].filter((line) => (line.level === 'error' || line.level === 'fatal') && line.event !== 'redis_down');
    expect(errors).toEqual([]);
  });

  it('treats a Redis that stops answering (frozen, connections open) as down after the command timeout, and keeps the room history when it answers again', async () => {
    const cluster = await startCluster(0);
    const { redis } = cluster;
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const alice = await join(a, 'hung', 'alice', {}, 'tutor');
    const bob = await join(b, 'hung', 'bob');
    await alice.socket.next((m) => m.type === 'presence' && m.userId === 'bob');
    bob.socket.send({ type: 'hint', n: 1 });
    const before = await alice.socket.nextOfType<RoomMessage>('hint');

    redis.pause();
    try {
      // The first message waits for Redis, times out, and is delivered on its own instance instead.
      const carol = await join(a, 'hung', 'carol');
      alice.socket.send({ type: 'hint', n: 2 });
      expect(await carol.socket.nextOfType<RoomMessage>('hint', 10_000)).toMatchObject({ n: 2, seq: before.seq + 1 });
      await eventually(() => logged(a, 'redis_down') === 1, 10_000, 'a to count Redis as down');
      expect((await call(a, 'GET', '/ready')).body).toMatchObject({ status: 'ready', redis: { status: 'down' } });
    } finally {
      redis.resume();
    }
    await eventually(() => logged(a, 'redis_recovered') === 1, 15_000, 'a to recover');
    await bob.socket.next((m) => m.type === 'presence' && m.userId === 'carol', 10_000);
    alice.socket.send({ type: 'hint', n: 3 });
    const after = await bob.socket.next<RoomMessage>((m) => m.type === 'hint' && (m as RoomMessage).n === 3, 10_000);
    expect(after.seq).toBeGreaterThan(before.seq + 1);
    // Same room, same epoch: a client resuming from before the outage is told what it cannot get.
    const resumed = await join(b, 'hung', 'bob', { since: String(before.seq), epoch: alice.welcome.epoch });
    expect(resumed.welcome.epoch).toBe(alice.welcome.epoch);
    expect(await resumed.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap' });
    expect(await resumed.socket.nextOfType<RoomMessage>('hint')).toMatchObject({ n: 3 });
  });

  it('starts without Redis, serves its clients alone, and joins the cluster once Redis answers', async () => {
    const cluster = await startCluster(0);
    const { redis } = cluster;
    await redis.stop();
    // Not cluster.add: that waits for Redis.
    const a = await startServer({ ...cluster.env, INSTANCE_ID: 'early' });
    expect(a.logs.some((line) => line.event === 'cluster_start_alone')).toBe(true);
    expect((await call(a, 'GET', '/ready')).body).toMatchObject({ status: 'ready', redis: { status: 'down' } });
    const alice = await join(a, 'boot', 'alice', {}, 'tutor');
    const carol = await join(a, 'boot', 'carol');
    alice.socket.send({ type: 'hint', n: 1 });
    expect(await carol.socket.nextOfType<RoomMessage>('hint')).toMatchObject({ n: 1, seq: 1 });

    await redis.start();
    await eventually(() => logged(a, 'redis_recovered') === 1, 15_000, 'a to connect');
    const b = await startInstance(cluster, 'late');
    const bob = await join(b, 'boot', 'bob');
    await eventually(() => bob.welcome.peers.length === 2 || bob.socket.receivedOfType('presence').length >= 2, 10_000, 'bob to see alice and carol');
    expect([...bob.welcome.peers.map((p) => p.userId), ...bob.socket.receivedOfType('presence').map((m) => (m as { userId: string }).userId)].sort()).toEqual(['alice', 'carol']);
    alice.socket.send({ type: 'hint', n: 2 });
    expect(await bob.socket.nextOfType<RoomMessage>('hint', 10_000)).toMatchObject({ n: 2, seq: 2 });
  });
});
