/**
 * A plain GET on a WebSocket path with a token answers what the upgrade of the same URL would:
 * the status and JSON error, readable cross-origin. Browsers see a refused upgrade only as 1006;
 * this is how `TutorChannelClient` learns that it was refused, and why.
 */
import { describe, expect, it } from 'vitest';
import { attemptUpgrade } from '../utils/upgrade.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { clientEvent, newClient } from '../utils/tutorClient.ts';
import { nextEvent } from '../utils/waitFor.ts';

/** The upgrade's refusal and the GET's answer for one URL. */
async function both(t: TestServer, url: string, headers: Record<string, string> = {}) {
  const upgrade = await attemptUpgrade(url, headers);
  if ('open' in upgrade) throw new Error(`the upgrade of ${url} was accepted`);
  const response = await fetch(url.replace(/^ws/, 'http'), { headers });
  return {
    upgrade: { status: upgrade.status, body: JSON.parse(upgrade.body) as unknown, retryAfter: upgrade.headers['retry-after'] },
    get: { status: response.status, body: (await response.json()) as unknown, retryAfter: response.headers.get('retry-after') ?? undefined },
    cors: response.headers.get('access-control-allow-origin'),
  };
}

describe('a plain GET on a WebSocket path with a token', () => {
  it('answers the refusal the upgrade gets: 401, 403, 400 on both paths, with the same JSON, readable from any origin', async () => {
    const t = await startServer();
    const other = t.token({ sub: 'ada', sid: 'elsewhere' });
    const good = t.token({ sub: 'ada', sid: 'lesson' });
    const cases: Array<[string, number, string, Record<string, string>?]> = [
      [t.tutorUrl('lesson', { token: 'not-a-token' }), 401, 'unauthorized'],
      [t.tutorUrl('lesson', { token: other }), 403, 'forbidden'],
      [t.tutorUrl('lesson', { token: good, since: 'soon' }), 400, 'invalid_since'],
      [t.tutorUrl('lesson'), 401, 'unauthorized', { Authorization: 'Basic abc' }],
      [`${t.whiteboardUrl('lesson')}?token=not-a-token`, 401, 'unauthorized'],
      [t.whiteboardUrl('lesson'), 403, 'forbidden', { Authorization: `Bearer ${other}` }],
    ];
    for (const [url, status, code, headers] of cases) {
      const { upgrade, get, cors } = await both(t, url, headers);
      expect(upgrade).toMatchObject({ status, body: { error: { code } } });
      expect(get).toEqual(upgrade);
      expect(cors).toBe('*');
    }
  });

  it('answers 429 while the user is at MAX_CONNECTIONS_PER_USER and 426 once the upgrade would be admitted', async () => {
    const t = await startServer({ MAX_CONNECTIONS_PER_USER: '1' });
    const first = newClient(t, 'full', 'sam');
    await clientEvent(first, 'welcome');
    const url = t.tutorUrl('full', { token: t.token({ sub: 'sam', sid: 'full' }) });
    const { upgrade, get } = await both(t, url);
    expect(upgrade).toMatchObject({ status: 429, body: { error: { code: 'user_connections_full' } } });
    expect(get).toEqual(upgrade);

    const left = nextEvent(t.server.registry, 'leave');
    first.close();
    await left;
    const admitted = await fetch(url.replace(/^ws/, 'http'));
    expect(admitted.status).toBe(426);
    expect(await admitted.json()).toMatchObject({ error: { code: 'upgrade_required' } });
    expect(admitted.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 503 with Retry-After while the server drains, like the upgrade', async () => {
    const t = await startServer({ DRAIN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '10000' });
    const stopping = t.server.shutdown();
    const { upgrade, get } = await both(t, t.tutorUrl('lesson', { token: t.token({ sid: 'lesson' }) }));
    expect(upgrade).toMatchObject({ status: 503, body: { error: { code: 'shutting_down' } }, retryAfter: '1' });
    expect(get).toEqual(upgrade);
    void stopping;
  });

  it('without a token stays 426 (a browser tab on the path), and a bad session id is 400, both readable cross-origin', async () => {
    const t = await startServer();
    const plain = await fetch(t.httpUrl('/ws/v2/session/lesson'));
    expect(plain.status).toBe(426);
    expect(plain.headers.get('access-control-allow-origin')).toBe('*');
    const bad = await fetch(t.httpUrl('/ws/v2/session/bad%20id?token=x'));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe('*');
  });
});
