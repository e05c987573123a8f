import { describe, expect, it } from 'vitest';
import { newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';
import { attemptUpgrade } from '../utils/upgrade.ts';
import { until } from '../utils/waitFor.ts';
import { adminToken, call } from './helpers.ts';

describe('structured logs', () => {
  it('one line per connect and per close, with ids, user, transport, close code and duration', async () => {
    const t = await startServer();
    const provider = newProvider({ url: t.whiteboardUrl('log'), name: 'log', token: t.token({ sub: 'wb-user', sid: 'log' }) });
    await synced(provider);
    const tutor = await tutorSocket(t.tutorUrl('log', { token: t.token({ sub: 'tutor-user', sid: 'log' }) }));
    const connects = t.logs.filter((l) => l.event === 'connect');
    expect(connects).toContainEqual(expect.objectContaining({ type: 'whiteboard', sessionId: 'log', userId: 'wb-user', connectionId: expect.any(String) }));
    expect(connects).toContainEqual(
      expect.objectContaining({ type: 'tutor', sessionId: 'log', userId: 'tutor-user', connectionId: tutor.welcome.connectionId, level: 'info' }),
    );

    expect((await call(t, 'POST', '/api/sessions/log/kick', { token: adminToken(t), body: { userId: 'tutor-user' } })).status).toBe(200);
    await tutor.socket.waitForClose();
    const whiteboard = t.server.registry.session('log').find((c) => c.connectionType === 'whiteboard')!;
    provider.destroy();
    await until(() => !t.server.registry.get(whiteboard.connectionId), t.server.registry, 'leave', 5_000, 'the whiteboard connection to leave');

    const disconnects = t.logs.filter((l) => l.event === 'disconnect');
    expect(disconnects).toContainEqual(
      expect.objectContaining({
        type: 'tutor',
        connectionId: tutor.welcome.connectionId,
        userId: 'tutor-user',
        closeCode: 4403,
        closeReason: 'closed by an administrator',
        durationMs: expect.any(Number),
      }),
    );
    const wb = disconnects.find((l) => l.connectionId === whiteboard.connectionId);
    expect(wb).toMatchObject({ type: 'whiteboard', sessionId: 'log', userId: 'wb-user', closeCode: expect.any(Number), durationMs: expect.any(Number) });
  });

  it('routes Hocuspocus events into the same JSON logger', async () => {
    const t = await startServer();
    const provider = newProvider({ url: t.whiteboardUrl('hp'), name: 'hp', token: t.token({ sid: 'hp' }) });
    await synced(provider);
    const lines = t.logs.filter((l) => l.event === 'hocuspocus').map((l) => String(l.msg));
    expect(lines.some((m) => m.includes('Loaded document "hp"'))).toBe(true);
    expect(lines.some((m) => m.includes('New connection to "hp"'))).toBe(true);
    expect(t.logs.every((l) => l.service === 'tutorboard')).toBe(true);
  });

  it('never writes a token: header, ?token=, expired, wrong session, admin and metrics requests', async () => {
    const t = await startServer({ METRICS_TOKEN: 'metrics-token-value-123' });
    const tokens = [
      t.token({ sub: 'u1', sid: 'sec' }),
      t.token({ sub: 'u2', sid: 'other' }),
      t.token({ sub: 'u3', sid: 'sec' }, -10),
      adminToken(t),
      'metrics-token-value-123',
    ];
    const [good, wrongSession, expired, admin, metrics] = tokens;
    await tutorSocket(t.tutorUrl('sec', { token: good }));
    await refusedUpgrade(t.tutorUrl('sec', { token: wrongSession }));
    await refusedUpgrade(t.tutorUrl('sec', { token: expired }));
    await attemptUpgrade(`${t.whiteboardUrl('sec')}?token=${expired}`);
    await attemptUpgrade(t.whiteboardUrl('sec'), { Authorization: `Bearer ${wrongSession}` });
    const provider = newProvider({ url: `${t.whiteboardUrl('sec')}?token=${good}`, name: 'sec', token: good });
    await synced(provider);
    await call(t, 'GET', `/api/sessions/sec?token=${admin}`);
    await call(t, 'GET', `/api/sessions/sec/snapshots?token=${admin}`);
    await call(t, 'GET', `/metrics?token=${metrics}`, { token: metrics });
    await call(t, 'GET', `/nope?token=${good}`);

    const raw = t.rawLogs();
    expect(raw).toContain('auth_failed');
    // Request targets are logged as their path: no query string, so no token in any spelling.
    expect(t.logs.filter((l) => l.event === 'auth_failed').map((l) => l.url)).toContain('/ws/v2/session/sec');
    expect(raw).not.toContain('token=');
    for (const token of tokens) {
      expect(raw).not.toContain(token);
      // The signature alone would be enough to replay a JWT.
      expect(raw).not.toContain(token.split('.').at(-1));
    }
  });
});
