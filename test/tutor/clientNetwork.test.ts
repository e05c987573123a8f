/**
 * TutorChannelClient and a network that misbehaves without closing anything: a browser keeps
 * its sockets open while offline, a link can die silently, a socket can open and never hear its
 * welcome. A TCP proxy between client and server plays the network; both WebSocket
 * implementations of Node 22 are driven.
 */
import { WebSocket as WsWebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { WebSocketConstructor } from '../../src/client/index.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startServer } from '../utils/server.ts';
import { startProxy } from '../utils/tcpProxy.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { until } from '../utils/waitFor.ts';

const implementations: Array<[string, WebSocketConstructor]> = [
  ['the global WebSocket (undici)', globalThis.WebSocket],
  ['the ws package', WsWebSocket],
];

/** A WebSocket class that counts its sockets. */
function counting(Base: WebSocketConstructor): { WebSocket: WebSocketConstructor; made: () => number } {
  let made = 0;
  const Counted = class extends (Base as new (url: string) => object) {
    constructor(url: string) {
      super(url);
      made += 1;
    }
  } as unknown as WebSocketConstructor;
  return { WebSocket: Counted, made: () => made };
}

/** Retries far slower than any wait below: whatever connects within it did not wait for the backoff. */
const slowBackoff = { initialDelayMs: 30_000, maxDelayMs: 30_000 };

describe.each(implementations)('TutorChannelClient on %s', (_name, WebSocket) => {
  it('offline drops a socket still open on a dead link at once and waits; online reconnects at once and resumes', async () => {
    const t = await startServer();
    const proxy = await startProxy(t.port);
    const network = new EventTarget();
    const sockets = counting(WebSocket);
    const client = newClient(t, 'net', 'cli', { url: proxy.url('/ws/v2/session/net'), WebSocket: sockets.WebSocket, network, reconnect: slowBackoff });
    const [first] = await clientEvent(client, 'welcome');

    proxy.freezeOpen(); // what a browser offline looks like: the socket stays open and hears nothing
    const closed = clientEvent(client, 'close');
    network.dispatchEvent(new Event('offline'));
    expect((await closed)[0]).toEqual({ code: 4001, reason: 'the device is offline', reconnecting: true });
    expect(client.state).toBe('offline');
    expect(client.send({ type: 'chat', text: 'queued while offline' })).toBe(true);
    t.server.tutor.publish('net', { type: 'missed' });

    const welcomed = clientEvent(client, 'welcome');
    const missed = clientEvent(client, 'message', (m) => m.type === 'missed');
    const watcher = await tutorSocket(t.tutorUrl('net', { token: t.token({ sub: 'watcher', sid: 'net' }) }));
    network.dispatchEvent(new Event('online'));
    const [second] = await welcomed;
    expect(second.connectionId).not.toBe(first.connectionId);
    await missed; // resumed with since
    expect(await watcher.socket.nextOfType('chat')).toMatchObject({ text: 'queued while offline', from: { userId: 'cli' } });
    expect(sockets.made()).toBe(2);
  });

  it('reacts to the online/offline events of globalThis.window by default: no connect while offline', async () => {
    const t = await startServer();
    const window = new EventTarget();
    (globalThis as { window?: EventTarget }).window = window;
    registerCleanup(() => delete (globalThis as { window?: EventTarget }).window);
    const sockets = counting(WebSocket);
    const client = newClient(t, 'net2', 'cli', { WebSocket: sockets.WebSocket });
    await clientEvent(client, 'welcome');
    const watcher = await tutorSocket(t.tutorUrl('net2', { token: t.token({ sub: 'watcher', sid: 'net2' }) }));

    window.dispatchEvent(new Event('offline'));
    expect(client.state).toBe('offline');
    await watcher.socket.next((m) => m.type === 'presence' && m.event === 'leave' && m.userId === 'cli');
    // A room round trip later, with a 20 ms backoff, a client that retried would have a second socket by now.
    watcher.socket.send({ type: 'ping' });
    await watcher.socket.nextOfType('pong');
    expect(sockets.made()).toBe(1);
    expect(client.state).toBe('offline');

    const welcomed = clientEvent(client, 'welcome');
    window.dispatchEvent(new Event('online'));
    await welcomed;
    expect(sockets.made()).toBe(2);

    client.close();
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    expect(client.state).toBe('closed');
    expect(sockets.made()).toBe(2);
  });

  it('reconnect() drops a connection silent on a dead link and connects again at once', async () => {
    const t = await startServer();
    const proxy = await startProxy(t.port);
    const client = newClient(t, 'again', 'cli', { url: proxy.url('/ws/v2/session/again'), WebSocket, network: false, reconnect: slowBackoff });
    const [first] = await clientEvent(client, 'welcome');
    proxy.freezeOpen();
    const closed = clientEvent(client, 'close');
    const welcomed = clientEvent(client, 'welcome');
    client.reconnect();
    expect((await closed)[0]).toEqual({ code: 4002, reason: 'reconnect() called', reconnecting: true, delayMs: 0 });
    const [second] = await welcomed;
    expect(second.connectionId).not.toBe(first.connectionId);
    expect(client.state).toBe('open');
  });

  it('reconnect() skips the backoff wait after a drop, and does nothing once closed', async () => {
    const t = await startServer();
    const client = newClient(t, 'skip', 'cli', { WebSocket, network: false, reconnect: slowBackoff });
    const [first] = await clientEvent(client, 'welcome');
    const dropped = clientEvent(client, 'close');
    t.server.registry.close('skip', first.connectionId, 1012, 'restarting');
    expect((await dropped)[0]).toMatchObject({ code: 1012, reconnecting: true, delayMs: expect.any(Number) });
    expect((await dropped)[0].delayMs).toBeGreaterThanOrEqual(15_000);
    expect(client.state).toBe('waiting');
    const welcomed = clientEvent(client, 'welcome');
    client.reconnect();
    await welcomed;

    client.close();
    client.reconnect();
    expect(client.state).toBe('closed');
  });

  it('drops a socket that opens but never hears its welcome (4000) and retries; the retry is welcomed', async () => {
    const t = await startServer();
    const proxy = await startProxy(t.port);
    proxy.muteAfterHandshake = true;
    // Only the first connection is muted.
    proxy.once('muted', () => (proxy.muteAfterHandshake = false));
    const client = newClient(t, 'mute', 'cli', { url: proxy.url('/ws/v2/session/mute'), WebSocket, network: false, welcomeTimeoutMs: 1_000 });
    const opened = clientEvent(client, 'open');
    const closed = clientEvent(client, 'close');
    const welcomed = clientEvent(client, 'welcome');
    await opened;
    expect(client.state).toBe('open');
    expect((await closed)[0]).toMatchObject({ code: 4000, reason: 'no welcome within 1000 ms', reconnecting: true });
    await welcomed;
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    // The muted connection's close went through to the server: only the live one is left.
    await until(() => t.server.registry.session('mute').length === 1, t.server.registry, 'leave', 5_000, 'the muted connection to leave');
    expect(t.server.registry.session('mute').map((c) => c.userId)).toEqual(['cli']);
  });
});
