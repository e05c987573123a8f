/**
 * A refused upgrade reaches a browser's WebSocket (and undici's) as a plain failure, 1006: the
 * client asks the server why with a GET on the same URL, reports `refused`, stops for good on
 * 400/401/403 and keeps retrying on 429/503.
 */
import { WebSocket as WsWebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { CloseEventInfo, RefusalInfo, TutorChannelClient, WebSocketConstructor } from '../../src/client/index.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';

const implementations: Array<[string, WebSocketConstructor]> = [
  ['the global WebSocket (undici)', globalThis.WebSocket],
  ['the ws package', WsWebSocket],
];

/** Every close and refused event of a client, in order. */
function record(client: TutorChannelClient): Array<['close', CloseEventInfo] | ['refused', RefusalInfo]> {
  const events: Array<['close', CloseEventInfo] | ['refused', RefusalInfo]> = [];
  client.on('close', (c) => events.push(['close', c]));
  client.on('refused', (r) => events.push(['refused', r]));
  return events;
}

/** Tutor upgrades the server refused and logged. */
const refusedUpgrades = (t: TestServer) => t.logs.filter((line) => line.event === 'auth_failed' && line.path === 'tutor').length;

describe.each(implementations)('TutorChannelClient refused, on %s', (_name, WebSocket) => {
  it('a static token the server rejects (401) is reported as refused and stops it after one attempt', async () => {
    const t = await startServer();
    const client = newClient(t, 'bad', 'cli', { WebSocket, token: 'not-a-token', network: false });
    const events = record(client);
    const [final] = await clientEvent(client, 'close', (c) => !c.reconnecting);
    expect(events).toEqual([
      ['close', { code: 1006, reason: 'connection failed', reconnecting: true, delayMs: expect.any(Number) }],
      ['refused', { status: 401, code: 'unauthorized', message: expect.stringMatching(/token/), final: true }],
      ['close', { code: 4401, reason: expect.stringMatching(/^unauthorized: /), reconnecting: false }],
    ]);
    expect(final.code).toBe(4401);
    expect(client.state).toBe('closed');
    expect(client.send({ type: 'chat' })).toBe(false);
    expect(refusedUpgrades(t)).toBe(1);
  });

  it('a token for another session (403) stops it with 4403', async () => {
    const t = await startServer();
    const client = newClient(t, 'mine', 'cli', { WebSocket, token: t.token({ sub: 'cli', sid: 'theirs' }), network: false });
    const refused = clientEvent(client, 'refused');
    const final = clientEvent(client, 'close', (c) => !c.reconnecting);
    expect((await refused)[0]).toEqual({ status: 403, code: 'forbidden', message: 'token does not grant this session', final: true });
    expect((await final)[0]).toMatchObject({ code: 4403, reconnecting: false });
  });

  it('a full user (429) is reported but retried, and connects once a slot is free', async () => {
    const t = await startServer({ MAX_CONNECTIONS_PER_USER: '1' });
    const phone = newClient(t, 'full', 'sam', { WebSocket, network: false });
    await clientEvent(phone, 'welcome');
    const laptop = newClient(t, 'full', 'sam', { WebSocket, network: false });
    const [refused] = await clientEvent(laptop, 'refused');
    expect(refused).toMatchObject({ status: 429, code: 'user_connections_full', final: false });
    // Still trying: the next failure is checked again.
    await clientEvent(laptop, 'refused');
    expect(laptop.state).not.toBe('closed');
    const welcomed = clientEvent(laptop, 'welcome', () => true, 10_000);
    phone.close();
    await welcomed;
  });
});

describe('TutorChannelClient refused, with a token function', () => {
  it('keeps retrying while the function gives new tokens, and stops when it gives a refused one again', async () => {
    const t = await startServer();
    const handedOut: string[] = [];
    const fresh = newClient(t, 'fresh', 'cli', {
      token: () => {
        handedOut.push(handedOut.length < 2 ? `bad-${handedOut.length}` : t.token({ sub: 'cli', sid: 'fresh' }));
        return handedOut.at(-1)!;
      },
    });
    const refusals: RefusalInfo[] = [];
    fresh.on('refused', (r) => refusals.push(r));
    await clientEvent(fresh, 'welcome');
    expect(handedOut).toHaveLength(3);
    expect(refusals.map((r) => [r.status, r.final])).toEqual([[401, false], [401, false]]);

    let asked = 0;
    const stuck = newClient(t, 'stuck', 'cli', { token: () => (asked++, 'always-the-same') });
    const events = record(stuck);
    await clientEvent(stuck, 'close', (c) => !c.reconnecting);
    expect(asked).toBe(2);
    expect(events.map(([kind, e]) => (kind === 'close' ? `close ${e.code}` : `refused ${e.status} ${e.final ? 'final' : 'retry'}`))).toEqual([
      'close 1006',
      'refused 401 retry',
      'refused 401 final',
      'close 4401',
    ]);
    expect(refusedUpgrades(t)).toBe(3); // bad-0, bad-1 and always-the-same once
  });

  it('refusalCheckAfterFailures: 0 keeps the old behaviour: no check, retries forever', async () => {
    const t = await startServer();
    const client = newClient(t, 'nocheck', 'cli', { token: 'not-a-token', refusalCheckAfterFailures: 0, network: false });
    const refused: RefusalInfo[] = [];
    client.on('refused', (r) => refused.push(r));
    let failures = 0;
    await clientEvent(client, 'close', (c) => c.code === 1006 && ++failures === 3);
    expect(refused).toEqual([]);
    expect(client.state).not.toBe('closed');
  });
});
