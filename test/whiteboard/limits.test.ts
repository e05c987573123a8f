import { describe, expect, it } from 'vitest';
import { newProvider, synced } from '../utils/provider.ts';
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
});
