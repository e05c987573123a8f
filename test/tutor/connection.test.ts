/**
 * TutorConnection on its own, over a real `ws` socket pair: what the channel cannot provoke.
 */
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createLogger } from '../../src/logger.ts';
import { TutorConnection } from '../../src/tutor/TutorConnection.ts';
import { createTutorStats } from '../../src/tutor/TutorStats.ts';
import { defaultTutorChannelConfiguration } from '../../src/tutor/TutorChannelConfiguration.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { nextEvent, withTimeout } from '../utils/waitFor.ts';

describe('TutorConnection', () => {
  it('closes only its own socket with 1011 when handling a message throws (the process goes on)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    registerCleanup(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await nextEvent(wss, 'listening');
    const gone: string[] = [];
    const stats = createTutorStats();
    wss.on('connection', (socket) => {
      const connection = new TutorConnection({
        socket,
        connectionId: 'c1',
        sessionId: 's',
        principal: { userId: 'u', sessionScope: 's', role: 'student' },
        remoteAddress: undefined,
        limits: defaultTutorChannelConfiguration,
        stats,
        logger: createLogger({ level: 'silent' }),
        onRoomMessage: () => {
          throw new Error('a bug in the room');
        },
        onSeen: () => {},
        onGone: (c) => gone.push(c.connectionId),
      });
      registerCleanup(() => connection.terminate('test over'));
    });
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    registerCleanup(() => client.terminate());
    await nextEvent(client, 'open');
    const closed = withTimeout(
      new Promise<[number, string]>((resolve) => client.once('close', (code, reason) => resolve([code, reason.toString()]))),
      5_000,
      'the close',
    );
    client.send(JSON.stringify({ type: 'chat' }));
    expect(await closed).toEqual([1011, 'internal error']);
    expect(gone).toEqual(['c1']);
    expect(stats.closeCodes[1011]).toBe(1);
  });
});
