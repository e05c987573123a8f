/**
 * A connect that fails must end in a `close` event and a retry, whatever the WebSocket does:
 * undici (Node 22's global) fires only `error`, `ws` fires `error` then `close`, and a
 * constructor may throw.
 */
import { WebSocket as WsWebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { TutorChannelClient, type WebSocketConstructor } from '../../src/client/index.ts';
import { startServer } from '../utils/server.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';

const implementations: Array<[string, WebSocketConstructor]> = [
  ['the global WebSocket (undici)', globalThis.WebSocket],
  ['the ws package', WsWebSocket],
];

describe.each(implementations)('TutorChannelClient on %s', (_name, WebSocket) => {
  it('reconnects to a server restarted on the same port after connects failed while it was down', async () => {
    const first = await startServer();
    const client = newClient(first, 'restart', 'cli', { WebSocket });
    const [before] = await clientEvent(client, 'welcome');
    const dropped = clientEvent(client, 'close', (c) => c.code === 1012);
    // Listening before the stop: the first retry can fail within milliseconds of it.
    const failed = clientEvent(client, 'close', (c) => c.code === 1006, 10_000);
    await first.stop();
    expect((await dropped)[0].reconnecting).toBe(true);
    // Nothing listens now: a connect attempt fails, and must be reported and retried.
    expect((await failed)[0]).toMatchObject({ code: 1006, reconnecting: true });
    expect(client.state).toBe('waiting');

    const welcomed = clientEvent(client, 'welcome', () => true, 10_000);
    const second = await startServer({ PORT: String(first.port) }, { dir: first.dir });
    const [after] = await welcomed;
    expect(after.epoch).not.toBe(before.epoch);
    expect(client.state).toBe('open');
    expect(second.server.registry.session('restart').map((c) => c.userId)).toEqual(['cli']);
  });
});

describe('TutorChannelClient connect failures', () => {
  it('retries when the WebSocket constructor throws, and connects once it stops throwing', async () => {
    const server = await startServer();
    let throwsLeft = 2;
    class FlakyWebSocket extends globalThis.WebSocket {
      constructor(url: string) {
        if (throwsLeft > 0) {
          throwsLeft -= 1;
          throw new Error('no sockets left');
        }
        super(url);
      }
    }
    const closes: Array<{ code: number; reason: string }> = [];
    const client = newClient(server, 'flaky', 'cli', { WebSocket: FlakyWebSocket });
    client.on('close', (c) => closes.push(c));
    await clientEvent(client, 'welcome');
    expect(closes).toHaveLength(2);
    expect(closes[0]).toMatchObject({ code: 1006, reconnecting: true, reason: expect.stringMatching(/no sockets left/) });
  });

  it('refuses a URL that is not ws:// or wss:// at once, instead of retrying forever', () => {
    expect(() => new TutorChannelClient({ url: 'http://127.0.0.1:1/ws/v2/session/x', token: 't' })).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => new TutorChannelClient({ url: 'not a url', token: 't' })).toThrow(TypeError);
  });
  // Refused upgrades (401/403/429) and token functions: clientRefusals.test.ts.
});
