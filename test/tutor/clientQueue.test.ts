/**
 * `send` before the connection is open (right after the constructor, or during a reconnect)
 * queues, bounded by `maxQueuedMessages`, and delivers in order once open.
 */
import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { startServer } from '../utils/server.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';

describe('TutorChannelClient send queue', () => {
  it('delivers messages sent right after the constructor, in order, before the open event', async () => {
    const server = await startServer();
    const peer = await tutorSocket(server.tutorUrl('q1', { token: server.token({ sub: 'peer', sid: 'q1' }) }));
    const client = newClient(server, 'q1', 'bot');
    expect(client.state).toBe('connecting');
    expect(client.send({ type: 'chat', text: 'one' })).toBe(true);
    expect(client.send({ type: 'chat', text: 'two' })).toBe(true);
    expect(client.queuedMessages).toBe(2);
    const opened = clientEvent(client, 'open');
    expect((await peer.socket.nextOfType<RoomMessage>('chat')).text).toBe('one');
    expect((await peer.socket.nextOfType<RoomMessage>('chat')).text).toBe('two');
    await opened;
    expect(client.queuedMessages).toBe(0);
  });

  it('is bounded: past maxQueuedMessages send returns false and only the queued ones arrive', async () => {
    const server = await startServer();
    const peer = await tutorSocket(server.tutorUrl('q2', { token: server.token({ sub: 'peer', sid: 'q2' }) }));
    const client = newClient(server, 'q2', 'bot', { maxQueuedMessages: 3 });
    const accepted = [1, 2, 3, 4, 5].map((n) => client.send({ type: 'n', n }));
    expect(accepted).toEqual([true, true, true, false, false]);
    await clientEvent(client, 'welcome');
    client.send({ type: 'n', n: 6 });
    const seen: unknown[] = [];
    for (let i = 0; i < 4; i += 1) seen.push((await peer.socket.nextOfType<RoomMessage>('n')).n);
    expect(seen).toEqual([1, 2, 3, 6]);
  });

  it('queues during a reconnect and sends after it; close() discards the queue; 0 turns queueing off', async () => {
    const server = await startServer();
    const peer = await tutorSocket(server.tutorUrl('q3', { token: server.token({ sub: 'peer', sid: 'q3' }) }));
    const client = newClient(server, 'q3', 'bot', { reconnect: { initialDelayMs: 200, maxDelayMs: 200 } });
    const [first] = await clientEvent(client, 'welcome');
    const dropped = clientEvent(client, 'close');
    server.server.registry.close('q3', first.connectionId, 1012, 'restarting');
    expect((await dropped)[0].reconnecting).toBe(true);
    expect(client.send({ type: 'while-away' })).toBe(true);
    expect((await peer.socket.nextOfType<RoomMessage>('while-away')).from.connectionId).not.toBe(first.connectionId);

    const offline = newClient(server, 'q3', 'off', { maxQueuedMessages: 0 });
    expect(offline.send({ type: 'early' })).toBe(false);
    const discarded = newClient(server, 'q3', 'gone');
    expect(discarded.send({ type: 'never' })).toBe(true);
    discarded.close();
    expect(discarded.queuedMessages).toBe(0);
    await clientEvent(offline, 'welcome');
    offline.send({ type: 'late' });
    await peer.socket.nextOfType('late');
    expect(peer.socket.received.filter((m) => m.type === 'early' || m.type === 'never')).toEqual([]);
  });
});
