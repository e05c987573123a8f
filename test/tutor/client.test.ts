import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startServer } from '../utils/server.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { withTimeout } from '../utils/waitFor.ts';

describe('TutorChannelClient (global WebSocket)', () => {
  it('connects, exchanges typed messages, tracks peers, and stops on close()', async () => {
    const server = await startServer();
    const client = newClient(server, 'c1', 'cli');
    const [welcome] = await clientEvent(client, 'welcome');
    expect(welcome).toMatchObject({ userId: 'cli', sessionId: 'c1', seq: 0 });
    expect(client.state).toBe('open');

    const peer = await tutorSocket(server.tutorUrl('c1', { token: server.token({ sub: 'peer', sid: 'c1' }) }));
    await clientEvent(client, 'presence', (p) => p.event === 'join' && p.userId === 'peer');
    expect(client.peers.map((p) => p.userId)).toEqual(['peer']);

    expect(client.send({ type: 'chat', text: 'hello' })).toBe(true);
    expect(await peer.socket.nextOfType('chat')).toMatchObject({ text: 'hello', from: { userId: 'cli' } });
    const received = clientEvent(client, 'message');
    peer.socket.send({ type: 'chat', text: 'hi back' });
    const [message] = await received;
    expect(message).toMatchObject({ type: 'chat', text: 'hi back', seq: 2 });
    expect(client.lastSeq).toBe(2);
    expect(() => client.send({ type: 'welcome' })).toThrow(TypeError);

    const closed = clientEvent(client, 'close');
    client.close();
    expect((await closed)[0]).toEqual({ code: 1000, reason: 'client closed', reconnecting: false });
    expect(client.state).toBe('closed');
    await peer.socket.next((m) => m.type === 'presence' && m.event === 'leave');
    expect(client.send({ type: 'chat' })).toBe(false);
  });

  it('reconnects after a dropped connection and resumes with since, without echoing its own messages', async () => {
    const server = await startServer();
    const { tutor, registry } = server.server;
    const client = newClient(server, 'c2', 'cli');
    const [first] = await clientEvent(client, 'welcome');
    const peer = await tutorSocket(server.tutorUrl('c2', { token: server.token({ sub: 'peer', sid: 'c2' }) }));
    client.send({ type: 'mine' });
    await peer.socket.nextOfType('mine');

    const messages: RoomMessage[] = [];
    client.on('message', (m) => messages.push(m));
    const rewelcomed = clientEvent(client, 'welcome');
    const dropped = clientEvent(client, 'close');
    const missed = clientEvent(client, 'message', (m) => m.type === 'missed');
    registry.close('c2', first.connectionId, 1012, 'restarting');
    // Published while the client is away: only a replay can bring it.
    tutor.publish('c2', { type: 'missed' });
    expect((await dropped)[0]).toMatchObject({ code: 1012, reconnecting: true });
    const [second] = await rewelcomed;
    expect(second.connectionId).not.toBe(first.connectionId);
    expect(second.epoch).toBe(first.epoch);
    await missed;
    // Barrier: the peer's next message comes after anything the replay could have held.
    const barrier = clientEvent(client, 'message', (m) => m.type === 'barrier');
    peer.socket.send({ type: 'barrier' });
    await barrier;
    expect(messages.map((m) => m.type)).toEqual(['missed', 'barrier']);
    expect(client.lastSeq).toBe(3);
  });

  it('reconnects to a restarted server on the same port and resumes with since', async () => {
    const first = await startServer();
    const client = newClient(first, 'c3', 'cli');
    await clientEvent(client, 'welcome');
    first.server.tutor.publish('c3', { type: 'hint', n: 1 });
    await clientEvent(client, 'message');
    expect(client.lastSeq).toBe(1);

    const dropped = clientEvent(client, 'close');
    await first.stop();
    expect((await dropped)[0]).toMatchObject({ code: 1012, reconnecting: true });

    const gap = clientEvent(client, 'error', (e) => e.code === 'replay_gap', 10_000);
    const welcomed = clientEvent(client, 'welcome', () => true, 10_000);
    const second = await startServer({ PORT: String(first.port) }, { dir: first.dir });
    // since=1 with the old epoch reached the new server: it reports the gap.
    expect((await gap)[0].message).toMatch(/restarted/);
    const [welcome] = await welcomed;
    expect(welcome.seq).toBe(0);
    expect(client.lastSeq).toBe(0);
    const received = clientEvent(client, 'message');
    second.server.tutor.publish('c3', { type: 'hint', n: 2 });
    expect((await received)[0]).toMatchObject({ n: 2, seq: 1 });
  });

  it('pings when the room is quiet and reconnects when the server goes silent', async () => {
    const server = await startServer({ HEARTBEAT_INTERVAL_MS: '60000', STALE_TIMEOUT_MS: '60000' });
    // Browsers hide WebSocket pings from scripts, so the client pings in JSON; watch its socket for the pong.
    let sawPong: () => void = () => {};
    const pong = new Promise<void>((resolve) => (sawPong = resolve));
    class WatchedWebSocket extends WebSocket {
      constructor(url: string | URL) {
        super(url);
        this.addEventListener('message', (event) => {
          if (typeof event.data === 'string' && JSON.parse(event.data).type === 'pong') sawPong();
        });
      }
    }
    const client = newClient(server, 'c4', 'cli', { pingIntervalMs: 30, staleTimeoutMs: 100_000, WebSocket: WatchedWebSocket });
    const [welcome] = await clientEvent(client, 'welcome');
    const before = server.server.registry.get(welcome.connectionId)!.lastSeenAt;
    await withTimeout(pong, 5_000, 'a pong for the client ping');
    expect(server.server.registry.get(welcome.connectionId)!.lastSeenAt).toBeGreaterThanOrEqual(before);
    expect(server.server.tutor.stats.messagesReceived).toBeGreaterThan(0);

    const silent = newClient(server, 'c4', 'quiet', { pingIntervalMs: 1_000_000, staleTimeoutMs: 80 });
    await clientEvent(silent, 'welcome');
    const [closeInfo] = await clientEvent(silent, 'close');
    expect(closeInfo).toMatchObject({ code: 4000, reconnecting: true });
    await clientEvent(silent, 'welcome');
  });
});

describe('TutorChannelClient kicked', () => {
  it('stops for good after a 4403 kick through the registry, on every connection of the user', async () => {
    const server = await startServer();
    const phone = newClient(server, 'kick', 'sam');
    const laptop = newClient(server, 'kick', 'sam');
    await Promise.all([clientEvent(phone, 'welcome'), clientEvent(laptop, 'welcome')]);
    const closes = Promise.all([phone, laptop].map((c) => clientEvent(c, 'close')));
    expect(server.server.registry.closeUser('kick', 'sam', 4403, 'closed by an administrator')).toBe(2);
    for (const [info] of await closes) expect(info).toEqual({ code: 4403, reason: 'closed by an administrator', reconnecting: false });
    expect([phone.state, laptop.state]).toEqual(['closed', 'closed']);
    expect(phone.send({ type: 'chat' })).toBe(false);
    expect(server.server.registry.hasSession('kick')).toBe(false);
  });
});

describe('TutorChannelClient through a server restart under traffic', () => {
  it('without a queue keeps sending (false while down, never throws) and delivers in order, without duplicates, in each epoch', async () => {
    const env = { TUTOR_RATE_LIMIT_PER_SECOND: '10000', TUTOR_RATE_LIMIT_BURST: '10000' };
    const first = await startServer(env);
    const sender = newClient(first, 'busy', 'sender', { maxQueuedMessages: 0 });
    const receiver = newClient(first, 'busy', 'receiver');
    await Promise.all([clientEvent(sender, 'welcome'), clientEvent(receiver, 'welcome')]);
    const byEpoch = new Map<string, number[]>();
    receiver.on('message', (m) => byEpoch.get(receiver.welcome!.epoch)!.push(m.n as number));
    receiver.on('welcome', (w) => byEpoch.set(w.epoch, byEpoch.get(w.epoch) ?? []));
    byEpoch.set(receiver.welcome!.epoch, []);

    let n = 0;
    const refused: number[] = [];
    const pace = setInterval(() => {
      n += 1;
      if (!sender.send({ type: 'n', n })) refused.push(n);
    }, 2);
    registerCleanup(() => clearInterval(pace));
    const firstEpoch = receiver.welcome!.epoch;
    await withTimeout(
      new Promise<void>((resolve) => receiver.on('message', () => byEpoch.get(firstEpoch)!.length >= 20 && resolve())),
      5_000,
      '20 messages before the restart',
    );
    await first.stop();
    // Listening first: the clients may be back before startServer resolves.
    const welcomes = Promise.all([sender, receiver].map((c) => clientEvent(c, 'welcome', (w) => w.epoch !== firstEpoch, 10_000)));
    const second = await startServer({ ...env, PORT: String(first.port) }, { dir: first.dir });
    const [[senderWelcome], [welcome]] = await welcomes;
    expect(senderWelcome.epoch).toBe(welcome.epoch);
    await withTimeout(
      new Promise<void>((resolve) => receiver.on('message', () => (byEpoch.get(welcome.epoch)?.length ?? 0) >= 20 && resolve())),
      5_000,
      '20 messages after the restart',
    );
    clearInterval(pace);

    expect(refused.length).toBeGreaterThan(0);
    const before = byEpoch.get(firstEpoch)!;
    const after = byEpoch.get(welcome.epoch)!;
    for (const list of [before, after]) {
      // Strictly increasing: the sender's order is kept and nothing arrives twice.
      expect(list.every((value, i) => i === 0 || value > list[i - 1])).toBe(true);
    }
    // Nothing sent while disconnected was delivered later (send returned false: queueing is off).
    expect([...before, ...after].filter((value) => refused.includes(value))).toEqual([]);
    expect(after[0]).toBeGreaterThan(before.at(-1)!);
    expect(second.server.registry.session('busy').map((c) => c.userId).sort()).toEqual(['receiver', 'sender']);
  });
});
