import { describe, expect, it } from 'vitest';
import type { PresenceMessage, RoomMessage } from '../../src/tutor/protocol.ts';
import { spawnServer } from '../utils/childServer.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { TutorSocket } from '../utils/tutorSocket.ts';
import { eventually } from '../utils/waitFor.ts';
import { join, startCluster, startInstance } from './helpers.ts';

describe('an instance lost without a word (kill -9)', () => {
  it('has its tutor members leave the rooms of the other instances within the instance TTL', async () => {
    const cluster = await startCluster(0);
    // The survivor's TTL decides when the lost instance counts as gone.
    const a = await startInstance(cluster, 'survivor', { INSTANCE_TTL_MS: '1000' });
    const dir = tempDir();
    const doomed = await spawnServer({ ...cluster.env, INSTANCE_ID: 'doomed', JWT_SECRET: testSecret, DATABASE_PATH: `${dir}/doomed.db` });
    const alice = await join(a, 'lost', 'alice', {}, 'tutor');
    const url = (sub: string) => `ws://127.0.0.1:${doomed.port}/ws/v2/session/lost?token=${a.token({ sub, sid: 'lost' })}`;
    const bob = new TutorSocket(url('bob'));
    const bobWelcome = await bob.nextOfType('welcome');
    const carol = new TutorSocket(url('carol'));
    await carol.nextOfType('welcome');
    for (const userId of ['bob', 'carol']) await alice.socket.next((m) => m.type === 'presence' && m.event === 'join' && m.userId === userId);
    alice.socket.send({ type: 'hint', n: 1 });
    const seen = await bob.nextOfType<RoomMessage>('hint');

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    // Sent while bob is away; bob comes back through the surviving instance and misses nothing.
    alice.socket.send({ type: 'hint', n: 2 });
    const left = [
      await alice.socket.next<PresenceMessage>((m) => m.type === 'presence' && m.event === 'leave', 10_000),
      await alice.socket.next<PresenceMessage>((m) => m.type === 'presence' && m.event === 'leave', 10_000),
    ];
    expect(left.map((m) => m.userId).sort()).toEqual(['bob', 'carol']);
    expect(left.map((m) => m.connectionId)).toContain((bobWelcome as { connectionId: string }).connectionId);
    await eventually(() => a.logs.some((line) => line.event === 'instances_reaped'), 5_000, 'the reaper log line');
    // Gone from the heartbeat view and from the room: a newcomer's welcome lists alice only.
    await eventually(() => !a.server.bus.instances().includes('doomed'), 5_000, 'the lost instance to leave the view');
    const dan = await join(a, 'lost', 'dan');
    expect(dan.welcome.peers.map((p) => p.userId)).toEqual(['alice']);
    const back = await join(a, 'lost', 'bob', { since: String(seen.seq), epoch: (bobWelcome as { epoch: string }).epoch });
    expect(await back.socket.nextOfType<RoomMessage>('hint')).toMatchObject({ n: 2, seq: seen.seq + 1 });
    expect(back.socket.receivedOfType('error')).toEqual([]);
    // Announced once: no second leave for the same connections.
    alice.socket.send({ type: 'ping' });
    await alice.socket.nextOfType('pong');
    expect(alice.socket.receivedOfType('presence').filter((m) => (m as PresenceMessage).event === 'leave')).toHaveLength(2);
  });
});
