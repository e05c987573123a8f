/**
 * `TutorChannelClient` as users run it on Node 22 (the built-in WebSocket, undici), through a
 * round-robin balancer in front of two instance processes: its instance is killed, it reconnects
 * through the balancer to the other one and resumes with nothing missed and no repeats.
 */
import { describe, expect, it } from 'vitest';
import { TutorChannelClient } from '../../src/client/index.ts';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { Authenticator } from '../../src/auth.ts';
import { spawnServer } from '../utils/childServer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startLoadBalancer } from '../utils/loadBalancer.ts';
import { createTestDatabase } from '../utils/postgres.ts';
import { startRedis } from '../utils/redis.ts';
import { testSecret } from '../utils/server.ts';
import { clientEvent } from '../utils/tutorClient.ts';

const signer = new Authenticator({ secret: testSecret });

describe('a tutor client on Node’s built-in WebSocket when its instance dies', () => {
  it('reconnects through the balancer to the other instance and resumes without a gap', async () => {
    expect(typeof globalThis.WebSocket).toBe('function');
    const [database, redis] = await Promise.all([createTestDatabase(), startRedis()]);
    const env = { DATABASE_URL: database.url, REDIS_URL: redis.url, JWT_SECRET: testSecret };
    const a = await spawnServer({ ...env, INSTANCE_ID: 'a' }, 20_000);
    const b = await spawnServer({ ...env, INSTANCE_ID: 'b' }, 20_000);
    const balancer = await startLoadBalancer([a.port, b.port]);
    const connect = (sub: string) => {
      const client = new TutorChannelClient({
        url: `${balancer.url.replace('http', 'ws')}/ws/v2/session/failover`,
        token: () => signer.sign({ sub, sid: 'failover', role: 'tutor' }, 600),
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      });
      registerCleanup(() => client.close());
      return client;
    };
    // Round robin: the first client lands on a, the second on b.
    const student = connect('student');
    const studentWelcome = await clientEvent(student, 'welcome');
    const tutor = connect('tutor');
    await clientEvent(tutor, 'welcome');
    expect([...balancer.counts.entries()]).toEqual([[a.port, 1], [b.port, 1]]);

    const received: number[] = [];
    student.on('message', (message: RoomMessage) => received.push(message.n as number));
    tutor.send({ type: 'hint', n: 1 });
    await clientEvent(student, 'message', (m) => m.n === 1);

    a.child.kill('SIGKILL');
    await a.exited;
    const resumed = clientEvent(student, 'welcome', () => true, 15_000);
    // Sent while the student is away: replayed from the shared log on whichever instance it lands.
    tutor.send({ type: 'hint', n: 2 });
    tutor.send({ type: 'hint', n: 3 });
    const [welcome] = await resumed;
    expect(welcome.epoch).toBe(studentWelcome[0].epoch);
    await clientEvent(student, 'message', (m) => m.n === 3, 10_000);
    tutor.send({ type: 'hint', n: 4 });
    await clientEvent(student, 'message', (m) => m.n === 4);
    expect(received).toEqual([1, 2, 3, 4]);
  });
});
