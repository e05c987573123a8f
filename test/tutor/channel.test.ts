import { describe, expect, it } from 'vitest';
import type { PresenceMessage, RoomMessage } from '../../src/tutor/protocol.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';

function join(server: TestServer, sessionId: string, sub: string, role: 'tutor' | 'student' | 'observer' = 'student') {
  return tutorSocket(server.tutorUrl(sessionId), { headers: { authorization: `Bearer ${server.token({ sub, sid: sessionId, role })}` } });
}

describe('tutor channel: connecting', () => {
  it('welcomes a client with its identity, the peers, the heartbeat settings and the seq', async () => {
    const server = await startServer({ HEARTBEAT_INTERVAL_MS: '1000', STALE_TIMEOUT_MS: '3000' });
    const tutor = await join(server, 's1', 'tina', 'tutor');
    expect(tutor.welcome).toMatchObject({
      type: 'welcome',
      sessionId: 's1',
      userId: 'tina',
      role: 'tutor',
      peers: [],
      heartbeatIntervalMs: 1000,
      staleTimeoutMs: 3000,
      seq: 0,
    });
    expect(tutor.welcome.connectionId).toMatch(/^[0-9a-f-]{36}$/);
    tutor.socket.send({ type: 'hint', text: 'x' });

    // Query token, as a browser sends it.
    const student = await tutorSocket(server.tutorUrl('s1', { token: server.token({ sub: 'sam', sid: 's1' }) }));
    expect(student.welcome.peers).toEqual([{ connectionId: tutor.welcome.connectionId, userId: 'tina', role: 'tutor' }]);
    expect(student.welcome.seq).toBe(1);
    expect(student.welcome.epoch).toBe(tutor.welcome.epoch);
  });

  it('answers 400, 401 and 403 before the upgrade', async () => {
    const server = await startServer();
    const bad = await refusedUpgrade(server.tutorUrl('bad%20id', { token: server.token({ sid: 'x' }) }));
    expect(bad.status).toBe(400);
    expect((await refusedUpgrade(server.tutorUrl('s1'))).status).toBe(401);
    expect((await refusedUpgrade(server.tutorUrl('s1', { token: 'not-a-jwt' }))).status).toBe(401);
    expect((await refusedUpgrade(server.tutorUrl('s1', { token: server.token({ sid: 's1' }, -10) }))).status).toBe(401);
    const other = await refusedUpgrade(server.tutorUrl('s1', { token: server.token({ sid: 's2' }) }));
    expect(other).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const since = await refusedUpgrade(server.tutorUrl('s1', { token: server.token({ sid: 's1' }), since: 'abc' }));
    expect(since.status).toBe(400);
  });

  it('registers tutor connections in the shared registry and unregisters them on close', async () => {
    const server = await startServer();
    const { socket, welcome } = await join(server, 'reg', 'u1', 'tutor');
    expect(server.server.registry.session('reg')).toEqual([
      expect.objectContaining({ connectionId: welcome.connectionId, userId: 'u1', role: 'tutor', connectionType: 'tutor', remoteAddress: '127.0.0.1' }),
    ]);
    const left = new Promise((resolve) => server.server.registry.once('leave', resolve));
    socket.ws.close();
    await left;
    expect(server.server.registry.hasSession('reg')).toBe(false);
  });

  it('closes a connection kicked through the registry and announces the leave', async () => {
    const server = await startServer();
    const a = await join(server, 'kick', 'a');
    const b = await join(server, 'kick', 'b');
    expect(server.server.registry.closeUser('kick', 'b', 4403, 'kicked')).toBe(1);
    expect(await b.socket.waitForClose()).toEqual({ code: 4403, reason: 'kicked' });
    await a.socket.next((m) => m.type === 'presence' && (m as PresenceMessage).event === 'leave');
  });
});

describe('tutor channel: messages', () => {
  it('delivers to every other connection of the session, stamped, and not to the sender', async () => {
    const server = await startServer();
    const a = await join(server, 'room', 'alice', 'tutor');
    const b = await join(server, 'room', 'bob');
    const c = await join(server, 'room', 'carol');
    const elsewhere = await join(server, 'other-room', 'dave');
    const before = Date.now();
    a.socket.send({ type: 'hint', text: 'look at line 3', from: { userId: 'mallory', role: 'admin' }, ts: 1, seq: 999 });
    for (const peer of [b, c]) {
      const message = await peer.socket.nextOfType<RoomMessage>('hint');
      expect(message).toEqual({
        type: 'hint',
        text: 'look at line 3',
        from: { userId: 'alice', connectionId: a.welcome.connectionId, role: 'tutor' },
        ts: expect.any(Number),
        seq: 1,
      });
      expect(message.ts).toBeGreaterThanOrEqual(before);
    }
    // Barrier: once alice and dave have bob's reply, anything for them from before is in too.
    b.socket.send({ type: 'ack' });
    await a.socket.nextOfType('ack');
    elsewhere.socket.send({ type: 'ack' });
    expect(a.socket.receivedOfType('hint')).toEqual([]);
    expect(elsewhere.socket.receivedOfType('hint')).toEqual([]);
    expect(elsewhere.socket.receivedOfType('ack')).toEqual([]);
    expect((await c.socket.nextOfType<RoomMessage>('ack')).seq).toBe(2);
  });

  it('delivers a message addressed `to` a user only to that user\'s connections', async () => {
    const server = await startServer();
    const tutor = await join(server, 'dm', 'tina', 'tutor');
    const samPhone = await join(server, 'dm', 'sam');
    const samLaptop = await join(server, 'dm', 'sam');
    const other = await join(server, 'dm', 'olga');
    tutor.socket.send({ type: 'hint', to: 'sam', text: 'psst' });
    await samPhone.socket.next((m) => m.type === 'hint' && (m as RoomMessage).to === 'sam');
    await samLaptop.socket.nextOfType('hint');
    tutor.socket.send({ type: 'broadcast' });
    await other.socket.nextOfType('broadcast');
    expect(other.socket.receivedOfType('hint')).toEqual([]);
  });

  it('announces joins and leaves to the others', async () => {
    const server = await startServer();
    const a = await join(server, 'p', 'a');
    const b = await join(server, 'p', 'b', 'observer');
    expect(await a.socket.nextOfType('presence')).toEqual({
      type: 'presence',
      event: 'join',
      connectionId: b.welcome.connectionId,
      userId: 'b',
      role: 'observer',
    });
    b.socket.ws.close();
    expect(await a.socket.nextOfType<PresenceMessage>('presence')).toMatchObject({ event: 'leave', connectionId: b.welcome.connectionId });
    expect(b.socket.receivedOfType('presence')).toEqual([]);
  });

  it('answers ping with pong and does not broadcast it', async () => {
    const server = await startServer();
    const a = await join(server, 'ping', 'a');
    const b = await join(server, 'ping', 'b');
    a.socket.send({ type: 'ping' });
    expect(await a.socket.nextOfType('pong')).toEqual({ type: 'pong', ts: expect.any(Number) });
    a.socket.send({ type: 'marker' });
    await b.socket.nextOfType('marker');
    expect(b.socket.receivedOfType('ping')).toEqual([]);
  });

  it('lets an observer receive and ping, but not send', async () => {
    const server = await startServer();
    const tutor = await join(server, 'obs', 'tina', 'tutor');
    const observer = await join(server, 'obs', 'oscar', 'observer');
    observer.socket.send({ type: 'chat', text: 'hi' });
    expect(await observer.socket.nextOfType('error')).toMatchObject({ code: 'forbidden' });
    observer.socket.send({ type: 'ping' });
    await observer.socket.nextOfType('pong');
    tutor.socket.send({ type: 'chat', text: 'welcome' });
    await observer.socket.nextOfType('chat');
    expect(observer.socket.ws.readyState).toBe(observer.socket.ws.OPEN);
  });

  it('publishes server messages with a seq, from the server or a named service', async () => {
    const server = await startServer();
    const a = await join(server, 'pub', 'a');
    const b = await join(server, 'pub', 'b');
    expect(server.server.tutor.publish('pub', { type: 'whiteboard.restored', snapshotId: 7, by: 'a' })).toBe(2);
    expect(await a.socket.nextOfType('whiteboard.restored')).toMatchObject({ from: { userId: 'server', role: 'server' }, seq: 1, snapshotId: 7 });
    expect(server.server.tutor.publish('pub', { type: 'hint', to: 'b' }, { userId: 'ai-tutor', role: 'service' })).toBe(1);
    expect(await b.socket.nextOfType('hint')).toMatchObject({ from: { userId: 'ai-tutor', role: 'service' }, seq: 2, to: 'b' });
    expect(server.server.tutor.publish('nobody-here', { type: 'hint' })).toBe(0);
  });

  it('counts messages received and delivered', async () => {
    const server = await startServer();
    const a = await join(server, 'stats', 'a');
    const b = await join(server, 'stats', 'b');
    const c = await join(server, 'stats', 'c');
    const { stats } = server.server.tutor;
    const received = stats.messagesReceived;
    const delivered = stats.messagesDelivered;
    a.socket.send({ type: 'x' });
    await b.socket.nextOfType('x');
    await c.socket.nextOfType('x');
    expect(stats.messagesReceived - received).toBe(1);
    expect(stats.messagesDelivered - delivered).toBe(2);
  });
});

describe('tutor channel: shutdown', () => {
  it('closes tutor sockets with 1012 when the server stops', async () => {
    const server = await startServer();
    const a = await join(server, 'bye', 'a');
    const stopped = server.stop();
    expect(await a.socket.waitForClose()).toEqual({ code: 1012, reason: 'server restarting' });
    await stopped;
    expect(server.server.tutor.connectionCount).toBe(0);
  });

  it('closes remaining sockets with 1001 on destroy, idempotently', async () => {
    const server = await startServer();
    const a = await join(server, 'destroy', 'a');
    const first = server.server.tutor.onDestroy();
    expect(server.server.tutor.onDestroy()).toBe(first);
    expect(await a.socket.waitForClose()).toEqual({ code: 1001, reason: 'server shutting down' });
    await first;
    expect((await refusedUpgrade(server.tutorUrl('destroy', { token: server.token({ sid: 'destroy' }) }))).status).toBe(503);
  });
});

