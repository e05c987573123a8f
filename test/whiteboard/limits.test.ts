import { describe, expect, it } from 'vitest';
import { authenticationFailed, newProvider, synced } from '../utils/provider.ts';
import { startServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { attemptUpgrade, closed, upgradeStatus } from '../utils/upgrade.ts';
import { nextEvent } from '../utils/waitFor.ts';

describe('connection limits', () => {
  it('MAX_CONNECTIONS counts both paths; over it upgrades get 503 with Retry-After, and a freed slot is usable again', async () => {
    const t = await startServer({ MAX_CONNECTIONS: '2' });
    const provider = newProvider({ url: t.whiteboardUrl('a'), name: 'a', token: t.token({ sid: 'a' }) });
    await synced(provider);
    const { socket } = await tutorSocket(t.tutorUrl('b', { token: t.token({ sid: 'b' }) }));

    const refused = await attemptUpgrade(t.tutorUrl('c', { token: t.token({ sid: 'c' }) }));
    expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
    expect('body' in refused && JSON.parse(refused.body).error.code).toBe('server_full');
    expect(await upgradeStatus(t.whiteboardUrl('c'), { Authorization: `Bearer ${t.token({ sid: 'c' })}` })).toBe(503);

    const leave = nextEvent(t.server.registry, 'leave');
    socket.ws.close();
    await leave;
    expect(await upgradeStatus(t.tutorUrl('c', { token: t.token({ sid: 'c' }) }))).toBe(101);
  });

  it('MAX_CONNECTIONS_PER_SESSION: a full session answers 429, other sessions are unaffected', async () => {
    const t = await startServer({ MAX_CONNECTIONS_PER_SESSION: '2' });
    const token = t.token({ sid: '*' });
    const provider = newProvider({ url: t.whiteboardUrl('full'), name: 'full', token });
    await synced(provider);
    await tutorSocket(t.tutorUrl('full', { token }));
    const refused = await attemptUpgrade(t.tutorUrl('full', { token }));
    expect(refused).toMatchObject({ status: 429 });
    expect('body' in refused && JSON.parse(refused.body).error.code).toBe('session_full');
    expect(await upgradeStatus(t.whiteboardUrl('full'), { Authorization: `Bearer ${token}` })).toBe(429);
    expect(await upgradeStatus(t.tutorUrl('other', { token }))).toBe(101);
    // The ones inside keep working.
    provider.document.getText('t').insert(0, 'still drawing');
    expect(provider.isSynced).toBe(true);
    const open = await attemptUpgrade(t.whiteboardUrl('other'), { Authorization: `Bearer ${token}` });
    expect('open' in open).toBe(true);
    if ('open' in open) {
      open.open.close();
      await closed(open.open);
    }
  });

  it('MAX_CONNECTIONS_PER_USER bounds one user; a full session still admits its tutor on both paths', async () => {
    const t = await startServer({ MAX_CONNECTIONS_PER_SESSION: '5', MAX_CONNECTIONS_PER_USER: '3' });
    const eve = t.token({ sub: 'eve', sid: 'lesson', role: 'observer' });
    for (let i = 0; i < 3; i += 1) await tutorSocket(t.tutorUrl('lesson', { token: eve }));
    const tooMany = await attemptUpgrade(t.whiteboardUrl('lesson'), { Authorization: `Bearer ${eve}` });
    expect(tooMany).toMatchObject({ status: 429 });
    expect('body' in tooMany && JSON.parse(tooMany.body).error.code).toBe('user_connections_full');
    const bob = t.token({ sub: 'bob', sid: 'lesson', role: 'observer' });
    for (let i = 0; i < 2; i += 1) await tutorSocket(t.tutorUrl('lesson', { token: bob }));

    // Full for students, on the upgrade (token in the URL) and in onAuthenticate (provider token).
    const student = t.token({ sub: 'sam', sid: 'lesson' });
    expect(await upgradeStatus(t.tutorUrl('lesson', { token: student }))).toBe(429);
    const samsBoard = newProvider({ url: t.whiteboardUrl('lesson'), name: 'lesson', token: student });
    expect(await authenticationFailed(samsBoard)).toMatch(/^session_full/);

    // The tutor gets in anyway, on both paths.
    const tutor = t.token({ sub: 'teacher', sid: 'lesson', role: 'tutor' });
    const { socket } = await tutorSocket(t.tutorUrl('lesson', { token: tutor }));
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    const board = newProvider({ url: t.whiteboardUrl('lesson'), name: 'lesson', token: tutor });
    await synced(board);
    expect(t.server.registry.userConnections('lesson', 'teacher')).toBe(2);
  });
});
