/**
 * The disconnect log line of a tutor connection carries the code it closed with, whoever closed
 * it: the channel itself (rate limit, slow consumer, shutdown, stale), the peer, or a kick.
 */
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { until } from '../utils/waitFor.ts';

function disconnectLine(server: TestServer, connectionId: string): Record<string, unknown> | undefined {
  return server.logs.find((l) => l.event === 'disconnect' && l.connectionId === connectionId);
}

async function leftRegistry(server: TestServer, connectionId: string): Promise<void> {
  await until(() => !server.server.registry.get(connectionId), server.server.registry, 'leave', 5_000, `${connectionId} to leave`);
}

describe('tutor channel: close codes in the disconnect log', () => {
  it('logs 1008 for a rate-limit close and the peer\'s own code for a client close', async () => {
    const server = await startServer({ TUTOR_RATE_LIMIT_PER_SECOND: '1', TUTOR_RATE_LIMIT_BURST: '2' });
    const token = (sub: string) => server.token({ sub, sid: 'cc' });
    const flooder = await tutorSocket(server.tutorUrl('cc', { token: token('flooder') }));
    const polite = await tutorSocket(server.tutorUrl('cc', { token: token('polite') }));
    for (let i = 0; i < 10; i += 1) flooder.socket.send({ type: 'chat', i });
    expect((await flooder.socket.waitForClose()).code).toBe(1008);
    await leftRegistry(server, flooder.welcome.connectionId);
    expect(disconnectLine(server, flooder.welcome.connectionId)).toMatchObject({
      type: 'tutor',
      userId: 'flooder',
      closeCode: 1008,
      closeReason: 'rate limit exceeded',
    });

    polite.socket.ws.close(4001, 'bye for now');
    await leftRegistry(server, polite.welcome.connectionId);
    expect(disconnectLine(server, polite.welcome.connectionId)).toMatchObject({ closeCode: 4001, closeReason: 'bye for now' });
  });

  it('logs the protocol error codes ws closes with itself: 1009 too big, 1007 invalid UTF-8', async () => {
    const server = await startServer({ TUTOR_MAX_MESSAGE_BYTES: '1024' });
    const big = await tutorSocket(server.tutorUrl('ws', { token: server.token({ sub: 'big', sid: 'ws' }) }));
    big.socket.send({ type: 'chat', text: 'x'.repeat(2048) });
    expect((await big.socket.waitForClose()).code).toBe(1009);
    await leftRegistry(server, big.welcome.connectionId);
    expect(disconnectLine(server, big.welcome.connectionId)).toMatchObject({ closeCode: 1009 });

    const garbled = await tutorSocket(server.tutorUrl('ws', { token: server.token({ sub: 'garbled', sid: 'ws' }) }));
    garbled.socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await garbled.socket.waitForClose()).code).toBe(1007);
    await leftRegistry(server, garbled.welcome.connectionId);
    expect(disconnectLine(server, garbled.welcome.connectionId)).toMatchObject({ closeCode: 1007 });
  });

  it('logs 1013 for a slow consumer and 1012 at shutdown', async () => {
    const server = await startServer({ TUTOR_MAX_BUFFERED_BYTES: String(64 * 1024), TUTOR_REPLAY_MESSAGES: '0' });
    const token = (sub: string) => server.token({ sub, sid: 'slow' });
    const stays = await tutorSocket(server.tutorUrl('slow', { token: token('stays') }));
    const slow = await tutorSocket(server.tutorUrl('slow', { token: token('slow') }));
    // Stop reading: the server's send buffer for this socket fills up.
    slow.socket.ws.pause();
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 400 && server.server.registry.get(slow.welcome.connectionId); i += 1) {
      server.server.tutor.publish('slow', { type: 'blob', to: 'slow', big });
    }
    await leftRegistry(server, slow.welcome.connectionId);
    expect(disconnectLine(server, slow.welcome.connectionId)).toMatchObject({ closeCode: 1013, closeReason: 'slow consumer: send buffer full' });

    await server.stop();
    expect(disconnectLine(server, stays.welcome.connectionId)).toMatchObject({ closeCode: 1012, closeReason: 'server restarting' });
  });

  it('logs 1006 for a stale termination (no close frame)', async () => {
    const server = await startServer({ HEARTBEAT_INTERVAL_MS: '40', STALE_TIMEOUT_MS: '120' });
    const silent = await tutorSocket(server.tutorUrl('st', { token: server.token({ sub: 's', sid: 'st' }) }), { autoPong: false });
    await leftRegistry(server, silent.welcome.connectionId);
    expect(disconnectLine(server, silent.welcome.connectionId)).toMatchObject({ closeCode: 1006, closeReason: 'stale: no sign of life' });
  });

  it('logs the kick code when the registry closes every connection of a user', async () => {
    const server = await startServer();
    const token = server.token({ sub: 'twice', sid: 'kick' });
    const a = await tutorSocket(server.tutorUrl('kick', { token }));
    const b = await tutorSocket(server.tutorUrl('kick', { token }));
    expect(server.server.registry.closeUser('kick', 'twice', 4403, 'kicked')).toBe(2);
    expect((await a.socket.waitForClose()).code).toBe(4403);
    expect((await b.socket.waitForClose()).code).toBe(4403);
    for (const { welcome } of [a, b]) {
      expect(disconnectLine(server, welcome.connectionId)).toMatchObject({ closeCode: 4403, closeReason: 'kicked' });
    }
    expect(server.server.registry.hasSession('kick')).toBe(false);
    expect(server.server.tutor.hasRoom('kick')).toBe(false);
  });
});
