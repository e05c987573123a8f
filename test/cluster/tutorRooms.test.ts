import { describe, expect, it } from 'vitest';
import type { PresenceMessage, RoomMessage } from '../../src/tutor/protocol.ts';
import { adminToken, call } from '../ops/helpers.ts';
import { join, startCluster, startInstance } from './helpers.ts';

describe('tutor rooms across instances (one Redis)', () => {
  it('carries messages, presence and `to` between instances; a welcome lists the members of every instance', async () => {
    const cluster = await startCluster(0);
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const alice = await join(a, 'lesson', 'alice', {}, 'tutor');
    const bob = await join(b, 'lesson', 'bob');
    expect(bob.welcome.peers).toEqual([{ connectionId: alice.welcome.connectionId, userId: 'alice', role: 'tutor' }]);
    expect(bob.welcome.epoch).toBe(alice.welcome.epoch);
    const joined = await alice.socket.nextOfType<PresenceMessage>('presence');
    expect(joined).toEqual({ type: 'presence', event: 'join', connectionId: bob.welcome.connectionId, userId: 'bob', role: 'student' });
    const carol = await join(a, 'lesson', 'carol');
    expect(carol.welcome.peers.map((p) => p.userId).sort()).toEqual(['alice', 'bob']);
    await bob.socket.next((m) => m.type === 'presence' && m.userId === 'carol');

    alice.socket.send({ type: 'hint', text: 'look at line 3' });
    const hint = await bob.socket.nextOfType<RoomMessage>('hint');
    expect(hint).toMatchObject({ text: 'look at line 3', from: { userId: 'alice', connectionId: alice.welcome.connectionId, role: 'tutor' } });
    expect(hint.seq).toBe(1);
    expect((await carol.socket.nextOfType<RoomMessage>('hint')).seq).toBe(1);

    bob.socket.send({ type: 'answer', to: 'alice', n: 1 });
    bob.socket.send({ type: 'answer', n: 2 });
    expect(await alice.socket.nextOfType<RoomMessage>('answer')).toMatchObject({ n: 1, to: 'alice', seq: 2, from: { userId: 'bob' } });
    expect(await alice.socket.nextOfType<RoomMessage>('answer')).toMatchObject({ n: 2, seq: 3 });
    // `to` honoured on the other instance too: carol gets only the broadcast.
    expect(await carol.socket.nextOfType<RoomMessage>('answer')).toMatchObject({ n: 2, seq: 3 });
    expect(carol.socket.receivedOfType('answer')).toHaveLength(1);
    // The sender never gets its own message back.
    alice.socket.send({ type: 'ping' });
    await alice.socket.nextOfType('pong');
    expect(bob.socket.receivedOfType('answer')).toEqual([]);

    bob.socket.ws.close();
    expect(await alice.socket.next((m) => m.type === 'presence' && m.event === 'leave')).toMatchObject({ connectionId: bob.welcome.connectionId, userId: 'bob' });
    expect(await carol.socket.next((m) => m.type === 'presence' && m.event === 'leave')).toMatchObject({ userId: 'bob' });
  });

  it('keeps seq strictly increasing per room with clients on both instances sending at once', async () => {
    const cluster = await startCluster(0);
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const listeners = [await join(a, 'race', 'listen-a', {}, 'observer'), await join(b, 'race', 'listen-b', {}, 'observer')];
    const senders = [await join(a, 'race', 's1'), await join(a, 'race', 's2'), await join(b, 'race', 's3'), await join(b, 'race', 's4')];
    const perSender = 40;
    for (let n = 0; n < perSender; n += 1) for (const sender of senders) sender.socket.send({ type: 'count', n });
    const total = perSender * senders.length;
    const seen = await Promise.all(
      listeners.map(async ({ socket }) => {
        const got: RoomMessage[] = [];
        while (got.length < total) got.push(await socket.nextOfType<RoomMessage>('count', 10_000));
        return got;
      }),
    );
    for (const got of seen) {
      const seqs = got.map((m) => m.seq);
      for (let i = 1; i < seqs.length; i += 1) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
      // Each sender's own order is kept.
      for (const sender of senders) {
        const mine = got.filter((m) => m.from.connectionId === sender.welcome.connectionId).map((m) => m.n);
        expect(mine).toEqual([...Array(perSender).keys()]);
      }
    }
    // Both instances saw the same messages under the same seqs.
    const key = (m: RoomMessage) => `${m.seq}:${m.from.connectionId}:${m.n}`;
    expect(seen[0].map(key)).toEqual(seen[1].map(key));
    expect(new Set(seen[0].map((m) => m.seq)).size).toBe(total);
  });

  it('replays with ?since= after reconnecting to the other instance, respecting `to`', async () => {
    const cluster = await startCluster(0);
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const tina = await join(b, 'resume', 'tina', {}, 'tutor');
    const sam = await join(a, 'resume', 'sam');
    tina.socket.send({ type: 'hint', n: 1 });
    const seen = await sam.socket.nextOfType<RoomMessage>('hint');
    const left = tina.socket.next((m) => m.type === 'presence' && m.event === 'leave');
    sam.socket.ws.close();
    await left;

    tina.socket.send({ type: 'hint', n: 2 });
    tina.socket.send({ type: 'hint', n: 3, to: 'someone-else' });
    tina.socket.send({ type: 'hint', n: 4, to: 'sam' });
    tina.socket.send({ type: 'ping' });
    await tina.socket.nextOfType('pong');

    // Back, but through the other instance (no sticky sessions).
    const again = await join(b, 'resume', 'sam', { since: String(seen.seq), epoch: sam.welcome.epoch });
    expect(again.welcome).toMatchObject({ seq: 4, epoch: sam.welcome.epoch });
    const replayed = [await again.socket.nextOfType<RoomMessage>('hint'), await again.socket.nextOfType<RoomMessage>('hint')];
    expect(replayed.map((m) => [m.n, m.seq])).toEqual([[2, 2], [4, 4]]);
    expect(again.socket.received[0].type).toBe('welcome');
    tina.socket.send({ type: 'hint', n: 5 });
    expect(await again.socket.nextOfType<RoomMessage>('hint')).toMatchObject({ n: 5, seq: 5 });
    expect(again.socket.receivedOfType('error')).toEqual([]);

    // A client whose epoch is not the room's gets the gap, then everything retained.
    const stranger = await join(a, 'resume', 'sam', { since: '1', epoch: 'an-older-room' });
    expect(await stranger.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap' });
    expect((await stranger.socket.nextOfType<RoomMessage>('hint')).n).toBe(1);
  });

  it('service messages and server publishes reach every instance', async () => {
    const cluster = await startCluster(0);
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const alice = await join(a, 'say', 'alice', {}, 'tutor');
    const bob = await join(b, 'say', 'bob');
    await alice.socket.nextOfType('presence');

    const answer = await call(b, 'POST', '/api/sessions/say/tutor/messages', { token: adminToken(b, 'say', 'ai-tutor'), body: { type: 'hint', text: 'common denominators' } });
    expect(answer).toMatchObject({ status: 202, body: { delivered: 2 } });
    for (const socket of [alice.socket, bob.socket]) {
      expect(await socket.nextOfType<RoomMessage>('hint')).toMatchObject({ text: 'common denominators', from: { userId: 'ai-tutor', role: 'service' }, seq: 1 });
    }
    const addressed = await call(a, 'POST', '/api/sessions/say/tutor/messages', { token: adminToken(a), body: { type: 'nudge', to: 'bob' } });
    expect(addressed.body).toEqual({ delivered: 1 });
    expect(await bob.socket.nextOfType<RoomMessage>('nudge')).toMatchObject({ seq: 2 });

    // What the Snapshots extension calls after a restore, on whichever instance restored.
    a.server.tutor.publish('say', { type: 'whiteboard.restored', snapshotId: 7, by: 'alice' });
    for (const socket of [alice.socket, bob.socket]) {
      expect(await socket.nextOfType<RoomMessage>('whiteboard.restored')).toMatchObject({ snapshotId: 7, by: 'alice', from: { userId: 'server', role: 'server' }, seq: 3 });
    }
  });
});
