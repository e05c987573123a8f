import { describe, expect, it, vi } from 'vitest';
import type { ErrorMessage, RoomMessage } from '../../src/tutor/protocol.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';

function url(server: TestServer, sessionId: string, sub: string, query: Record<string, string> = {}) {
  return server.tutorUrl(sessionId, { token: server.token({ sub, sid: sessionId }), ...query });
}

async function leftRegistry(server: TestServer, connectionId: string): Promise<void> {
  if (!server.server.registry.get(connectionId)) return;
  await new Promise<void>((resolve) => {
    const onLeave = (info: { connectionId: string }) => {
      if (info.connectionId !== connectionId) return;
      server.server.registry.off('leave', onLeave);
      resolve();
    };
    server.server.registry.on('leave', onLeave);
  });
}

describe('tutor channel: replay with ?since=', () => {
  it('sends what a reconnecting client missed, after the welcome, respecting `to`', async () => {
    const server = await startServer();
    const tutor = await tutorSocket(url(server, 'r', 'tina'));
    const first = await tutorSocket(url(server, 'r', 'sam'));
    tutor.socket.send({ type: 'hint', n: 1 });
    const seen = await first.socket.nextOfType<RoomMessage>('hint');
    first.socket.ws.close();
    await leftRegistry(server, first.welcome.connectionId);

    tutor.socket.send({ type: 'hint', n: 2 });
    tutor.socket.send({ type: 'hint', n: 3, to: 'someone-else' });
    tutor.socket.send({ type: 'hint', n: 4, to: 'sam' });
    // The tutor's own ping round trip orders us after the three sends.
    tutor.socket.send({ type: 'ping' });
    await tutor.socket.nextOfType('pong');

    const again = await tutorSocket(url(server, 'r', 'sam', { since: String(seen.seq), epoch: first.welcome.epoch }));
    expect(again.welcome.seq).toBe(4);
    expect(again.socket.received[0].type).toBe('welcome');
    const replayed = [await again.socket.nextOfType<RoomMessage>('hint'), await again.socket.nextOfType<RoomMessage>('hint')];
    expect(replayed.map((m) => [m.n, m.seq])).toEqual([[2, 2], [4, 4]]);
    expect(replayed[0].from).toEqual({ userId: 'tina', connectionId: tutor.welcome.connectionId, role: 'student' });
    // Then live traffic, in order.
    tutor.socket.send({ type: 'hint', n: 5 });
    expect((await again.socket.nextOfType<RoomMessage>('hint')).seq).toBe(5);
    expect(again.socket.receivedOfType('error')).toEqual([]);
  });

  it('answers replay_gap when some of the missed messages are gone, then sends what is left', async () => {
    const server = await startServer({ TUTOR_REPLAY_MESSAGES: '2' });
    const { tutor } = server.server;
    const keeper = await tutorSocket(url(server, 'gap', 'keeper'));
    for (let n = 1; n <= 5; n += 1) tutor.publish('gap', { type: 'hint', n });
    const late = await tutorSocket(url(server, 'gap', 'late', { since: '1', epoch: keeper.welcome.epoch }));
    const gap = await late.socket.nextOfType<ErrorMessage>('error');
    expect(gap).toMatchObject({ code: 'replay_gap', message: 'messages 2..3 are no longer available' });
    expect(late.socket.receivedOfType('hint').map((m) => (m as RoomMessage).seq)).toEqual([4, 5]);
    expect(late.socket.received.map((m) => m.type)).toEqual(['welcome', 'error', 'hint', 'hint']);
  });

  it('answers replay_gap for a since from another room instance', async () => {
    const server = await startServer();
    const a = await tutorSocket(url(server, 'epoch', 'a'));
    server.server.tutor.publish('epoch', { type: 'hint' });
    const wrongEpoch = await tutorSocket(url(server, 'epoch', 'b', { since: '0', epoch: 'an-older-room' }));
    expect(await wrongEpoch.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap' });
    // Everything of this room instance is new to it.
    expect((await wrongEpoch.socket.nextOfType<RoomMessage>('hint')).seq).toBe(1);
    const future = await tutorSocket(url(server, 'epoch', 'c', { since: '99' }));
    expect(await future.socket.nextOfType('error')).toMatchObject({ code: 'replay_gap' });
    const current = await tutorSocket(url(server, 'epoch', 'd', { since: '1', epoch: a.welcome.epoch }));
    current.socket.send({ type: 'ping' });
    await current.socket.nextOfType('pong');
    expect(current.socket.received.map((m) => m.type)).toEqual(['welcome', 'pong']);
  });

  it('drops messages older than TUTOR_REPLAY_MS', async () => {
    const server = await startServer({ TUTOR_REPLAY_MS: '50' });
    const a = await tutorSocket(url(server, 'ttl', 'a'));
    server.server.tutor.publish('ttl', { type: 'hint' });
    const gapSeen = vi.waitFor(async () => {
      const b = await tutorSocket(url(server, 'ttl', 'b', { since: '0', epoch: a.welcome.epoch }));
      b.socket.send({ type: 'ping' });
      await b.socket.nextOfType('pong');
      b.socket.ws.terminate();
      expect(b.socket.receivedOfType('error')).toMatchObject([{ code: 'replay_gap' }]);
    }, { timeout: 5_000, interval: 20 });
    await gapSeen;
  });
});

describe('tutor channel: room lifetime', () => {
  it('keeps an emptied room while its replay is live, then drops it', async () => {
    const server = await startServer({ TUTOR_REPLAY_MS: '150' });
    const { tutor } = server.server;
    const a = await tutorSocket(url(server, 'life', 'a'));
    tutor.publish('life', { type: 'hint' });
    a.socket.ws.close();
    await leftRegistry(server, a.welcome.connectionId);
    expect(tutor.hasRoom('life')).toBe(true);
    // A reconnect within the window still gets the message.
    const b = await tutorSocket(url(server, 'life', 'a', { since: '0', epoch: a.welcome.epoch }));
    await b.socket.nextOfType('hint');
    b.socket.ws.close();
    await leftRegistry(server, b.welcome.connectionId);
    await vi.waitFor(() => expect(tutor.hasRoom('life')).toBe(false), { timeout: 5_000, interval: 20 });
    expect(tutor.roomCount).toBe(0);
  });

  it('drops an emptied room at once when replay is disabled or it never had a message', async () => {
    const server = await startServer({ TUTOR_REPLAY_MESSAGES: '0' });
    const { tutor } = server.server;
    const a = await tutorSocket(url(server, 'nolog', 'a'));
    const b = await tutorSocket(url(server, 'nolog', 'b'));
    a.socket.send({ type: 'hint' });
    await b.socket.nextOfType('hint');
    a.socket.ws.close();
    b.socket.ws.close();
    await leftRegistry(server, a.welcome.connectionId);
    await leftRegistry(server, b.welcome.connectionId);
    expect(tutor.hasRoom('nolog')).toBe(false);
    expect(tutor.publish('nolog', { type: 'hint' })).toBe(0);
    expect(tutor.hasRoom('nolog')).toBe(false);
  });

  it('drops an emptied room after TUTOR_EMPTY_ROOM_GRACE_MS although its replay is still live', async () => {
    const server = await startServer({ TUTOR_EMPTY_ROOM_GRACE_MS: '300' });
    const { tutor } = server.server;
    const a = await tutorSocket(url(server, 'grace', 'a'));
    tutor.publish('grace', { type: 'hint', n: 1 });
    a.socket.ws.close();
    await leftRegistry(server, a.welcome.connectionId);
    // Within the grace a resume still replays (TUTOR_REPLAY_MS is two minutes).
    const soon = await tutorSocket(url(server, 'grace', 'a', { since: '0', epoch: a.welcome.epoch }));
    expect((await soon.socket.nextOfType<RoomMessage>('hint')).n).toBe(1);
    expect(soon.welcome.epoch).toBe(a.welcome.epoch);
    soon.socket.ws.close();
    await leftRegistry(server, soon.welcome.connectionId);
    expect(tutor.replayBytes).toBeGreaterThan(0);
    await vi.waitFor(() => expect(tutor.hasRoom('grace')).toBe(false), { timeout: 5_000, interval: 20 });
    expect(tutor.replayBytes).toBe(0);
    // After it the history is gone: a new room, a new epoch, and the client is told.
    const late = await tutorSocket(url(server, 'grace', 'a', { since: '1', epoch: a.welcome.epoch }));
    expect(late.welcome.epoch).not.toBe(a.welcome.epoch);
    expect(await late.socket.nextOfType<ErrorMessage>('error')).toMatchObject({ code: 'replay_gap' });
  });
});
