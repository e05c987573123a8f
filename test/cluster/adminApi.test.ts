import { describe, expect, it } from 'vitest';
import { adminToken, call } from '../ops/helpers.ts';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { TutorSocket } from '../utils/tutorSocket.ts';
import { eventually, nextEvent } from '../utils/waitFor.ts';
import { join, startCluster, startInstance } from './helpers.ts';

describe('admin API across instances', () => {
  it('lists sessions and connections of every instance, each connection with its instanceId', async () => {
    const cluster = await startCluster(0);
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const alice = await join(a, 'reg', 'alice', {}, 'tutor');
    const bob = await join(b, 'reg', 'bob');
    const provider = newProvider({ url: b.whiteboardUrl('reg'), name: 'reg', token: b.token({ sub: 'bob', sid: 'reg' }) });
    await synced(provider);
    await join(b, 'only-b', 'dan');

    const list = await call(a, 'GET', '/api/sessions', { token: adminToken(a) });
    expect(list.status).toBe(200);
    const byId = Object.fromEntries(list.body.sessions.map((s: { sessionId: string }) => [s.sessionId, s]));
    expect(byId.reg).toMatchObject({ connections: { tutor: 2, whiteboard: 1 }, document: { loaded: true } });
    expect(byId['only-b']).toMatchObject({ connections: { tutor: 1, whiteboard: 0 } });
    expect(list.body.instances).toEqual({ answered: expect.arrayContaining(['inst-a', 'inst-b']), missing: [] });

    const shown = await call(a, 'GET', '/api/sessions/reg', { token: adminToken(a, 'reg') });
    expect(shown.status).toBe(200);
    expect(shown.body.connections).toHaveLength(3);
    expect(shown.body.connections).toContainEqual(expect.objectContaining({ connectionId: alice.welcome.connectionId, userId: 'alice', instanceId: 'inst-a', connectionType: 'tutor' }));
    expect(shown.body.connections).toContainEqual(expect.objectContaining({ connectionId: bob.welcome.connectionId, instanceId: 'inst-b', connectionType: 'tutor' }));
    expect(shown.body.connections).toContainEqual(expect.objectContaining({ userId: 'bob', instanceId: 'inst-b', connectionType: 'whiteboard' }));
    // A session only the other instance has is known here too; an unknown one is still 404.
    expect((await call(a, 'GET', '/api/sessions/only-b', { token: adminToken(a) })).status).toBe(200);
    expect(await call(a, 'GET', '/api/sessions/ghost', { token: adminToken(a) })).toMatchObject({ status: 404, body: { error: { code: 'session_not_found' } } });
  });

  it('closes a connection and kicks a user from the other instance', async () => {
    const cluster = await startCluster(0);
    const [a, b] = [await startInstance(cluster, 'inst-a'), await startInstance(cluster, 'inst-b')];
    const tina = await join(a, 'k', 'tina', {}, 'tutor');
    const bob = await join(b, 'k', 'bob');
    const bobAgain = await join(a, 'k', 'bob');
    const provider = newProvider({ url: a.whiteboardUrl('k'), name: 'k', token: a.token({ sub: 'bob', sid: 'k' }) });
    await synced(provider);

    const closed = await call(a, 'DELETE', `/api/sessions/k/connections/${bob.welcome.connectionId}`, { token: adminToken(a) });
    expect(closed).toMatchObject({ status: 200, body: { closed: [bob.welcome.connectionId] } });
    expect(await bob.socket.waitForClose()).toEqual({ code: 4403, reason: 'closed by an administrator' });
    await tina.socket.next((m) => m.type === 'presence' && m.event === 'leave' && m.connectionId === bob.welcome.connectionId);
    expect(await call(b, 'DELETE', '/api/sessions/k/connections/nope', { token: adminToken(b) })).toMatchObject({ status: 404, body: { error: { code: 'connection_not_found' } } });

    // bob is still on instance a twice (tutor + whiteboard), and joins on b again: one kick sent to b closes all three.
    const bobOnB = await join(b, 'k', 'bob');
    const providerClosed = nextEvent<[{ event: { code: number } }]>(provider as never, 'close').then(([{ event }]) => event.code);
    const kicked = await call(b, 'POST', '/api/sessions/k/kick', { token: adminToken(b), body: { userId: 'bob' } });
    expect(kicked.status).toBe(200);
    expect(kicked.body.closed).toHaveLength(3);
    expect(kicked.body.closed).toEqual(expect.arrayContaining([bobAgain.welcome.connectionId, bobOnB.welcome.connectionId]));
    expect((await bobAgain.socket.waitForClose()).code).toBe(4403);
    expect((await bobOnB.socket.waitForClose()).code).toBe(4403);
    expect(await providerClosed).toBe(4403);
    expect(tina.socket.ws.readyState).toBe(tina.socket.ws.OPEN);
  });

  it('flushes the document on the instance that holds it', async () => {
    const cluster = await startCluster(0);
    const quiet = { STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' };
    const [a, b] = [await startInstance(cluster, 'inst-a', quiet), await startInstance(cluster, 'inst-b', quiet)];
    const provider = newProvider({ url: b.whiteboardUrl('doc'), name: 'doc', token: b.token({ sub: 'eve', sid: 'doc' }) });
    await synced(provider);
    provider.document.getMap('shapes').set('a', { r: 1 });
    await acknowledged(provider);
    expect((await b.server.store.pending('doc')).updates).toBeGreaterThan(0);
    const answer = await call(a, 'POST', '/api/sessions/doc/flush', { token: adminToken(a) });
    expect(answer).toMatchObject({ status: 200, body: { flushed: true, document: { loaded: true, unsavedUpdates: 0, unsavedBytes: 0 } } });
    expect(await b.server.store.pending('doc')).toEqual({ updates: 0, bytes: 0 });
  });

  it('answers within a bounded time when an instance does not answer, and names it', async () => {
    const cluster = await startCluster(0);
    const a = await startInstance(cluster, 'inst-a');
    const dir = tempDir();
    const silent = await spawnServer({ ...cluster.env, INSTANCE_ID: 'inst-frozen', JWT_SECRET: testSecret, DATABASE_PATH: `${dir}/frozen.db` });
    const frozenClient = new TutorSocket(`ws://127.0.0.1:${silent.port}/ws/v2/session/cold?token=${a.token({ sub: 'ice', sid: 'cold' })}`);
    await frozenClient.nextOfType('welcome');
    await eventually(() => a.server.bus.instances().includes('inst-frozen'), 5_000, 'the frozen instance in the heartbeat view');
    await join(a, 'warm', 'sun');
    silent.child.kill('SIGSTOP');
    try {
      // Bounded: `call` gives up after 5 s, the bus after its ask timeout (2 s).
      const list = await call(a, 'GET', '/api/sessions', { token: adminToken(a) });
      expect(list.status).toBe(200);
      expect(list.body.instances).toEqual({ answered: ['inst-a'], missing: ['inst-frozen'] });
      expect(list.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toContain('warm');
      // A session nobody that answered knows may be on the silent instance: not a 404.
      expect(await call(a, 'GET', '/api/sessions/cold', { token: adminToken(a) })).toMatchObject({ status: 503, body: { error: { code: 'instances_unreachable' } } });
    } finally {
      silent.child.kill('SIGCONT');
    }
  });
});
