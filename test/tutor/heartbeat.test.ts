import { describe, expect, it } from 'vitest';
import type { PresenceMessage } from '../../src/tutor/protocol.ts';
import { startServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { nextEvent } from '../utils/waitFor.ts';

describe('tutor channel: heartbeat and stale policy', () => {
  it('terminates a connection that answers no pings and announces its leave; a live one stays', async () => {
    const server = await startServer({ HEARTBEAT_INTERVAL_MS: '40', STALE_TIMEOUT_MS: '120' });
    const sessionId = 'hb';
    const token = (sub: string) => server.token({ sub, sid: sessionId });
    const live = await tutorSocket(server.tutorUrl(sessionId, { token: token('live') }));
    const silent = await tutorSocket(server.tutorUrl(sessionId, { token: token('silent') }), { autoPong: false });
    const firstSeen = server.server.registry.get(live.welcome.connectionId)!.lastSeenAt;

    const leave = await live.socket.next(
      (m) => m.type === 'presence' && (m as PresenceMessage).event === 'leave',
      5_000,
    );
    expect(leave).toMatchObject({ connectionId: silent.welcome.connectionId, userId: 'silent' });
    // terminate(): no close frame, so the client sees an abnormal closure.
    expect((await silent.socket.waitForClose()).code).toBe(1006);
    expect(server.server.tutor.stats.staleTerminations).toBe(1);

    // The live one keeps answering: wait for pings spanning more than the stale timeout.
    let pings = 0;
    await nextEvent(live.socket.ws, 'ping', () => ++pings >= 6, 5_000);
    expect(live.socket.ws.readyState).toBe(live.socket.ws.OPEN);
    expect(server.server.registry.session(sessionId).map((c) => c.userId)).toEqual(['live']);
    expect(server.server.registry.get(live.welcome.connectionId)!.lastSeenAt).toBeGreaterThan(firstSeen);
    expect(server.server.tutor.stats.staleTerminations).toBe(1);
  });

  it('counts any frame as a sign of life', async () => {
    const server = await startServer({ HEARTBEAT_INTERVAL_MS: '40', STALE_TIMEOUT_MS: '120' });
    const chatty = await tutorSocket(server.tutorUrl('hb2', { token: server.token({ sub: 'c', sid: 'hb2' }) }), { autoPong: false });
    // No pongs, but a ping message every time the server pings keeps it alive.
    let pings = 0;
    chatty.socket.ws.on('ping', () => chatty.socket.send({ type: 'ping' }));
    await nextEvent(chatty.socket.ws, 'ping', () => ++pings >= 8, 5_000);
    expect(chatty.socket.ws.readyState).toBe(chatty.socket.ws.OPEN);
    expect(server.server.tutor.stats.staleTerminations).toBe(0);
  });
});
