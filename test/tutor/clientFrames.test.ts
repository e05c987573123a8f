/**
 * Whatever arrives on the socket (a proxy, another server on the URL, a bug), the client's
 * message handler never throws: in Node a throw there ends the process. Frames are injected
 * into a real connection to a real server by a proxy; the connection must carry on.
 */
import { WebSocket as WsWebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { WebSocketConstructor } from '../../src/client/index.ts';
import { startServer } from '../utils/server.ts';
import { startProxy } from '../utils/tcpProxy.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';

const implementations: Array<[string, WebSocketConstructor]> = [
  ['the global WebSocket (undici)', globalThis.WebSocket],
  ['the ws package', WsWebSocket],
];

const garbage = [
  'not json',
  '',
  'null',
  '42',
  '"welcome"',
  '[]',
  '{}',
  '{"type":5}',
  '{"type":"chat"}',
  '{"type":"chat","from":null,"seq":9,"ts":1}',
  '{"type":"chat","from":{"userId":"x"},"seq":"9","ts":1}',
  '{"type":"welcome"}',
  '{"type":"welcome","connectionId":"c","sessionId":"s","userId":"u","role":"student","peers":[null],"heartbeatIntervalMs":1,"staleTimeoutMs":1,"seq":0,"epoch":"e"}',
  '{"type":"welcome","connectionId":"c","sessionId":"s","userId":"u","role":"student","peers":[],"heartbeatIntervalMs":0,"staleTimeoutMs":1,"seq":0,"epoch":"e"}',
  '{"type":"presence","event":"join"}',
  '{"type":"presence","event":"wave","connectionId":"c","userId":"u","role":"student"}',
  '{"type":"error"}',
  '{"type":"pong"}',
  '{"type":"ping"}',
  '{"type":"chat","from":{"userId":"x"},"seq":9,"ts":1'.padEnd(2000, ' '),
];

describe.each(implementations)('TutorChannelClient receiving frames a tutorboard server never sends, on %s', (_name, WebSocket) => {
  it('ignores non-JSON, non-objects, control messages without their fields, unstamped room messages and binary frames', async () => {
    const t = await startServer();
    const proxy = await startProxy(t.port);
    const client = newClient(t, 'junk', 'cli', { url: proxy.url('/ws/v2/session/junk'), WebSocket, network: false });
    const [welcome] = await clientEvent(client, 'welcome');
    const peer = await tutorSocket(t.tutorUrl('junk', { token: t.token({ sub: 'peer', sid: 'junk' }) }));
    await clientEvent(client, 'presence', (p) => p.userId === 'peer');

    const seen: string[] = [];
    for (const event of ['message', 'presence', 'error', 'welcome', 'close', 'refused'] as const) client.on(event, () => seen.push(event));
    for (const frame of garbage) proxy.inject(frame);
    proxy.inject(new Uint8Array([1, 2, 3]));
    const after = clientEvent(client, 'message', (m) => m.type === 'after');
    peer.socket.send({ type: 'after' });
    const [message] = await after;

    expect(message).toMatchObject({ type: 'after', from: { userId: 'peer' } });
    expect(seen).toEqual(['message']);
    expect(client.state).toBe('open');
    expect(client.welcome).toBe(welcome);
    expect(client.peers.map((p) => p.userId)).toEqual(['peer']);
    expect(client.lastSeq).toBe(message.seq);
  });
});
