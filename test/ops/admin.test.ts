import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { nextEvent } from '../utils/waitFor.ts';
import { adminToken, call } from './helpers.ts';

async function lesson(t: TestServer, sessionId: string) {
  const provider = newProvider({ url: t.whiteboardUrl(sessionId), name: sessionId, token: t.token({ sub: 'alice', sid: sessionId, role: 'tutor' }) });
  await synced(provider);
  const alice = await tutorSocket(t.tutorUrl(sessionId, { token: t.token({ sub: 'alice', sid: sessionId, role: 'tutor' }) }));
  const bob = await tutorSocket(t.tutorUrl(sessionId, { token: t.token({ sub: 'bob', sid: sessionId }) }));
  return { provider, alice, bob };
}

function providerClosed(provider: ReturnType<typeof newProvider>): Promise<number> {
  return nextEvent<[{ event: { code: number } }]>(provider as never, 'close').then(([{ event }]) => event.code);
}

describe('session admin API', () => {
  it('requires an admin token whose sid covers the session', async () => {
    const t = await startServer();
    await lesson(t, 'auth');
    expect(await call(t, 'GET', '/api/sessions/auth')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect((await call(t, 'GET', '/api/sessions/auth', { token: 'garbage' })).status).toBe(401);
    const tutor = t.token({ sub: 'alice', sid: 'auth', role: 'tutor' });
    expect(await call(t, 'GET', '/api/sessions/auth', { token: tutor })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await call(t, 'GET', '/api/sessions/auth', { token: adminToken(t, 'elsewhere') })).status).toBe(403);
    expect((await call(t, 'POST', '/api/sessions/auth/kick', { token: adminToken(t, 'elsewhere'), body: { userId: 'bob' } })).status).toBe(403);
    expect((await call(t, 'GET', '/api/sessions/auth', { token: adminToken(t, 'auth') })).status).toBe(200);
    expect((await call(t, 'GET', '/api/sessions/auth', { token: adminToken(t) })).status).toBe(200);
    // Unknown sessions are only revealed to admins.
    expect((await call(t, 'GET', '/api/sessions/ghost')).status).toBe(401);
  });

  it('lists active sessions with connection counts and document state; a scoped token sees its own', async () => {
    const t = await startServer({ STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' });
    const { provider } = await lesson(t, 'list-a');
    await tutorSocket(t.tutorUrl('list-b', { token: t.token({ sid: 'list-b' }) }));
    provider.document.getText('t').insert(0, 'unsaved so far');
    await acknowledged(provider);

    const all = await call(t, 'GET', '/api/sessions', { token: adminToken(t) });
    expect(all.status).toBe(200);
    const byId = Object.fromEntries(all.body.sessions.map((s: { sessionId: string }) => [s.sessionId, s]));
    expect(byId['list-a']).toMatchObject({ connections: { whiteboard: 1, tutor: 2 }, document: { loaded: true } });
    expect(byId['list-a'].document.unsavedBytes).toBeGreaterThan(0);
    expect(byId['list-a'].document.unsavedBytes).toBe((await t.server.store.pending('list-a')).bytes);
    expect(byId['list-b']).toMatchObject({ connections: { whiteboard: 0, tutor: 1 }, document: { loaded: false, unsavedBytes: 0 } });

    const scoped = await call(t, 'GET', '/api/sessions', { token: adminToken(t, 'list-b') });
    expect(scoped.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual(['list-b']);
  });

  it('lists exactly the sessions that /api/sessions/{id} answers: a tutor room kept for replay after its last client left counts', async () => {
    const t = await startServer();
    const student = await tutorSocket(t.tutorUrl('quiet', { token: t.token({ sid: 'quiet' }) }));
    // A room with something to replay outlives its last client (TUTOR_REPLAY_MS).
    t.server.tutor.publish('quiet', { type: 'hint' });
    await student.socket.nextOfType('hint');
    const left = nextEvent(t.server.registry, 'leave');
    student.socket.ws.close();
    await left;
    expect(t.server.registry.hasSession('quiet')).toBe(false);
    const shown = await call(t, 'GET', '/api/sessions/quiet', { token: adminToken(t) });
    expect(shown).toMatchObject({ status: 200, body: { sessionId: 'quiet', connections: [] } });
    const listed = await call(t, 'GET', '/api/sessions', { token: adminToken(t) });
    expect(listed.body.sessions).toContainEqual({ sessionId: 'quiet', connections: { whiteboard: 0, tutor: 0 }, document: { loaded: false, unsavedUpdates: 0, unsavedBytes: 0 } });
  });

  it('shows the connections of a session; unknown session is 404, bad id 400', async () => {
    const t = await startServer();
    const { alice, bob } = await lesson(t, 'show');
    const answer = await call(t, 'GET', '/api/sessions/show', { token: adminToken(t) });
    expect(answer.status).toBe(200);
    expect(answer.body.sessionId).toBe('show');
    expect(answer.body.connections).toHaveLength(3);
    expect(answer.body.connections).toContainEqual(
      expect.objectContaining({ connectionId: bob.welcome.connectionId, userId: 'bob', role: 'student', connectionType: 'tutor', sessionId: 'show' }),
    );
    expect(answer.body.connections).toContainEqual(expect.objectContaining({ userId: 'alice', connectionType: 'whiteboard', role: 'tutor' }));
    const mine = answer.body.connections.find((c: { connectionId: string }) => c.connectionId === alice.welcome.connectionId);
    expect(new Date(mine.connectedAt).toISOString()).toBe(mine.connectedAt);

    expect(await call(t, 'GET', '/api/sessions/ghost', { token: adminToken(t) })).toMatchObject({
      status: 404,
      body: { error: { code: 'session_not_found' } },
    });
    expect(await call(t, 'GET', '/api/sessions/bad%20id', { token: adminToken(t) })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_session_id' } },
    });
  });

  it('DELETE a connection closes that socket with 4403 and nothing else', async () => {
    const t = await startServer();
    const { provider, alice, bob } = await lesson(t, 'del');
    const closed = await call(t, 'DELETE', `/api/sessions/del/connections/${bob.welcome.connectionId}`, { token: adminToken(t) });
    expect(closed).toMatchObject({ status: 200, body: { closed: [bob.welcome.connectionId] } });
    expect(await bob.socket.waitForClose()).toEqual({ code: 4403, reason: 'closed by an administrator' });

    const whiteboard = t.server.registry.session('del').find((c) => c.connectionType === 'whiteboard')!;
    const providerClose = providerClosed(provider);
    expect((await call(t, 'DELETE', `/api/sessions/del/connections/${whiteboard.connectionId}`, { token: adminToken(t) })).status).toBe(200);
    expect(await providerClose).toBe(4403);
    expect(alice.socket.ws.readyState).toBe(alice.socket.ws.OPEN);

    expect(await call(t, 'DELETE', '/api/sessions/del/connections/nope', { token: adminToken(t) })).toMatchObject({
      status: 404,
      body: { error: { code: 'connection_not_found' } },
    });
  });

  it('kick closes every connection of the user on both paths; others stay', async () => {
    const t = await startServer();
    const { provider, alice, bob } = await lesson(t, 'kick');
    const providerClose = providerClosed(provider);
    const answer = await call(t, 'POST', '/api/sessions/kick/kick', { token: adminToken(t), body: { userId: 'alice' } });
    expect(answer.status).toBe(200);
    expect(answer.body.closed).toHaveLength(2);
    expect((await alice.socket.waitForClose()).code).toBe(4403);
    expect(await providerClose).toBe(4403);
    expect(bob.socket.ws.readyState).toBe(bob.socket.ws.OPEN);

    expect(await call(t, 'POST', '/api/sessions/kick/kick', { token: adminToken(t), body: {} })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_user_id' } },
    });
    expect(await call(t, 'POST', '/api/sessions/kick/kick', { token: adminToken(t), rawBody: '{not json' })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json' } },
    });
    expect((await call(t, 'POST', '/api/sessions/ghost/kick', { token: adminToken(t), body: { userId: 'x' } })).status).toBe(404);
  });

  it('a service message reaches every tutor client, stamped as from the token subject with role service', async () => {
    const t = await startServer();
    const { alice, bob } = await lesson(t, 'say');
    const answer = await call(t, 'POST', '/api/sessions/say/tutor/messages', {
      token: adminToken(t, 'say', 'ai-tutor'),
      body: { type: 'hint', text: 'Try common denominators' },
    });
    expect(answer).toMatchObject({ status: 202, body: { delivered: 2 } });
    for (const socket of [alice.socket, bob.socket]) {
      const message = await socket.nextOfType<RoomMessage>('hint');
      expect(message).toMatchObject({ text: 'Try common denominators', from: { userId: 'ai-tutor', role: 'service' } });
      expect(message.seq).toBeGreaterThan(0);
    }
    const addressed = await call(t, 'POST', '/api/sessions/say/tutor/messages', { token: adminToken(t), body: { type: 'nudge', to: 'bob' } });
    expect(addressed.body).toEqual({ delivered: 1 });
    await bob.socket.nextOfType('nudge');

    for (const body of [{}, { type: '' }, { type: 'welcome' }, { type: 'x'.repeat(65) }, { type: 'hint', to: 7 }]) {
      expect(await call(t, 'POST', '/api/sessions/say/tutor/messages', { token: adminToken(t), body })).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_message' } },
      });
    }
    expect((await call(t, 'POST', '/api/sessions/ghost/tutor/messages', { token: adminToken(t), body: { type: 'hint' } })).status).toBe(404);
    expect(alice.socket.receivedOfType('welcome')).toHaveLength(1);
  });

  it('flush compacts the loaded document now', async () => {
    const t = await startServer({ STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' });
    const { provider } = await lesson(t, 'flush');
    provider.document.getMap('shapes').set('a', { r: 1 });
    await acknowledged(provider);
    expect((await t.server.store.pending('flush')).updates).toBeGreaterThan(0);
    const answer = await call(t, 'POST', '/api/sessions/flush/flush', { token: adminToken(t) });
    expect(answer).toMatchObject({ status: 200, body: { flushed: true, document: { loaded: true, unsavedUpdates: 0, unsavedBytes: 0 } } });
    expect(await t.server.store.pending('flush')).toEqual({ updates: 0, bytes: 0 });
    expect((await call(t, 'POST', '/api/sessions/ghost/flush', { token: adminToken(t) })).status).toBe(404);
    expect((await call(t, 'GET', '/api/sessions/flush/flush', { token: adminToken(t) })).status).toBe(405);
  });

  it('leaves /api/sessions/{id}/snapshots to the snapshot API', async () => {
    const t = await startServer();
    await lesson(t, 'snap');
    const answer = await call(t, 'POST', '/api/sessions/snap/snapshots', { token: adminToken(t), body: { label: 'ops' } });
    expect(answer.status).toBe(201);
  });
});
