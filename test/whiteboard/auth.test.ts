import jwt from 'jsonwebtoken';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rejectionReasons } from '../../extensions/SessionAuth.ts';
import { authenticationFailed, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer, testSecret } from '../utils/server.ts';
import { attemptUpgrade, upgradeStatus } from '../utils/upgrade.ts';
import { nextEvent } from '../utils/waitFor.ts';

const session = 'algebra-1';

describe('whiteboard auth before the upgrade (header and query tokens)', () => {
  it('accepts a valid Bearer header and a valid ?token=', async () => {
    const t = await startServer();
    const token = t.token({ sid: session });
    expect(await upgradeStatus(t.whiteboardUrl(session), { Authorization: `Bearer ${token}` })).toBe(101);
    expect(await upgradeStatus(`${t.whiteboardUrl(session)}?token=${token}`)).toBe(101);
  });

  it('answers 401 for a present but invalid, expired, unsigned or wrongly signed token', async () => {
    const t = await startServer();
    const url = t.whiteboardUrl(session);
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      garbage: 'not-a-jwt',
      expired: jwt.sign({ sub: 'u', sid: session, exp: now - 10 }, testSecret),
      // Each with an exp, so that it fails for its own reason and not for lacking one.
      notYetValid: jwt.sign({ sub: 'u', sid: session, nbf: now + 3600, exp: now + 7200 }, testSecret),
      otherSecret: jwt.sign({ sub: 'u', sid: session, exp: now + 600 }, 'another-secret-that-is-long-enough-to-pass!!'),
      algNone: jwt.sign({ sub: 'u', sid: session, exp: now + 600 }, '', { algorithm: 'none' }),
      noSid: jwt.sign({ sub: 'u', exp: now + 600 }, testSecret),
      noSub: jwt.sign({ sid: session, exp: now + 600 }, testSecret),
      badRole: jwt.sign({ sub: 'u', sid: session, role: 'superuser', exp: now + 600 }, testSecret),
    };
    for (const [name, token] of Object.entries(bad)) {
      expect({ name, header: await upgradeStatus(url, { Authorization: `Bearer ${token}` }) }).toEqual({ name, header: 401 });
      expect({ name, query: await upgradeStatus(`${url}?token=${encodeURIComponent(token)}`) }).toEqual({ name, query: 401 });
    }
    expect(await upgradeStatus(url, { Authorization: 'Basic dXNlcjpwYXNz' })).toBe(401);
  });

  it('rejects HS256 tokens when the server is configured with an RS256 public key (algorithm confusion)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const t = await startServer({ JWT_SECRET: '', JWT_PUBLIC_KEY: pem });
    const url = t.whiteboardUrl(session);
    const rs256 = jwt.sign({ sub: 'u', sid: session }, privateKey, { algorithm: 'RS256', expiresIn: 600 });
    expect(await upgradeStatus(url, { Authorization: `Bearer ${rs256}` })).toBe(101);
    // The classic confusion attack: HMAC-sign with the public key's PEM text as the secret.
    const confused = jwt.sign({ sub: 'u', sid: session }, Buffer.from(pem), { algorithm: 'HS256', expiresIn: 600 });
    expect(await upgradeStatus(url, { Authorization: `Bearer ${confused}` })).toBe(401);
  });

  it('honours JWT_ISSUER and JWT_AUDIENCE', async () => {
    const t = await startServer({ JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'tutorboard' });
    const url = t.whiteboardUrl(session);
    expect(await upgradeStatus(url, { Authorization: `Bearer ${t.token({ sid: session })}` })).toBe(101);
    const wrongIssuer = jwt.sign({ sub: 'u', sid: session, iss: 'evil', aud: 'tutorboard' }, testSecret, { expiresIn: 600 });
    expect(await upgradeStatus(url, { Authorization: `Bearer ${wrongIssuer}` })).toBe(401);
  });

  it('answers 403 for a valid token of another session, 400 for a bad session id, 404 for unknown paths', async () => {
    const t = await startServer();
    const other = t.token({ sid: 'another-session' });
    expect(await upgradeStatus(t.whiteboardUrl(session), { Authorization: `Bearer ${other}` })).toBe(403);
    expect(await upgradeStatus(`${t.whiteboardUrl(session)}?token=${other}`)).toBe(403);
    const outcome = await attemptUpgrade(t.whiteboardUrl('bad.id!'));
    expect('status' in outcome && outcome.status).toBe(400);
    expect('body' in outcome && JSON.parse(outcome.body).error.code).toBe('invalid_session_id');
    expect(await upgradeStatus(t.whiteboardUrl('x'.repeat(129)))).toBe(400);
    expect(await upgradeStatus(`ws://127.0.0.1:${t.port}/ws/v1/session/a`)).toBe(404);
    expect(await upgradeStatus(`ws://127.0.0.1:${t.port}/elsewhere`)).toBe(404);
  });

  it('a "*" token opens any session', async () => {
    const t = await startServer();
    const token = t.token({ sid: '*' });
    expect(await upgradeStatus(t.whiteboardUrl('one'), { Authorization: `Bearer ${token}` })).toBe(101);
    expect(await upgradeStatus(t.whiteboardUrl('two'), { Authorization: `Bearer ${token}` })).toBe(101);
  });
});

describe('whiteboard auth with the provider token', () => {
  it('syncs with a valid provider token and no header/query token', async () => {
    const t = await startServer();
    const provider = newProvider({ url: t.whiteboardUrl(session), name: session, token: t.token({ sid: session }) });
    await synced(provider);
    expect(t.server.registry.session(session)).toMatchObject([{ connectionType: 'whiteboard', userId: 'user-1', role: 'student' }]);
  });

  it('reports failures through onAuthenticationFailed: missing, invalid, expired, other session', async () => {
    const t = await startServer();
    const cases = {
      missing: null,
      invalid: 'nonsense',
      expired: jwt.sign({ sub: 'u', sid: session, exp: Math.floor(Date.now() / 1000) - 5 }, testSecret),
      otherSession: t.token({ sid: 'other' }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const provider = newProvider({ url: t.whiteboardUrl(session), name: session, token });
      const reason = await authenticationFailed(provider);
      expect({ name, reason }).toEqual({ name, reason: expect.stringMatching(/unauthorized|forbidden/) });
      expect(provider.isSynced).toBe(false);
    }
    expect(t.server.registry.session(session)).toEqual([]);
  });

  it('denies a document name other than the session of the URL, even with a "*" token', async () => {
    const t = await startServer();
    const token = t.token({ sid: '*' });
    const provider = newProvider({ url: t.whiteboardUrl(session), name: 'someone-elses-session', token });
    expect(await authenticationFailed(provider)).toBe(rejectionReasons.wrongDocument);
    expect(t.server.hocuspocus.documents.has('someone-elses-session')).toBe(false);
  });

  it('a socket authenticated by header cannot multiplex into another session', async () => {
    const t = await startServer();
    const token = t.token({ sid: '*' });
    // One shared socket (the v4 provider multiplexes documents over it).
    const { HocuspocusProviderWebsocket, HocuspocusProvider } = await import('@hocuspocus/provider');
    const socket = new HocuspocusProviderWebsocket({ url: t.whiteboardUrl(session) });
    const own = new HocuspocusProvider({ websocketProvider: socket, name: session, token });
    const foreign = new HocuspocusProvider({ websocketProvider: socket, name: 'victim', token });
    try {
      own.attach();
      foreign.attach();
      const [[failure]] = await Promise.all([nextEvent<[{ reason: string }]>(foreign as never, 'authenticationFailed'), synced(own)]);
      expect(failure.reason).toBe(rejectionReasons.wrongDocument);
      expect(t.server.hocuspocus.documents.has('victim')).toBe(false);
    } finally {
      own.destroy();
      foreign.destroy();
      socket.destroy();
    }
  });

  it('observers receive content but their updates are rejected and never stored', async () => {
    const t = await startServer();
    const tutor = newProvider({ url: t.whiteboardUrl(session), name: session, token: t.token({ sub: 'tutor', sid: session, role: 'tutor' }) });
    const observer = newProvider({ url: t.whiteboardUrl(session), name: session, token: t.token({ sub: 'obs', sid: session, role: 'observer' }) });
    await Promise.all([synced(tutor), synced(observer)]);
    tutor.document.getMap('shapes').set('a', 1);
    await docMatches(observer.document, () => observer.document.getMap('shapes').get('a') === 1);
    observer.document.getMap('shapes').set('vandalism', true);
    tutor.document.getMap('shapes').set('b', 2);
    await docMatches(observer.document, () => observer.document.getMap('shapes').get('b') === 2);
    const server = t.server.hocuspocus.documents.get(session)!;
    expect(server.getMap('shapes').has('vandalism')).toBe(false);
    expect(tutor.document.getMap('shapes').has('vandalism')).toBe(false);
    expect(observer.unsyncedChanges).toBeGreaterThan(0);
  });

  it('never writes a token into the logs', async () => {
    const t = await startServer();
    const token = t.token({ sid: 'elsewhere' });
    await upgradeStatus(`${t.whiteboardUrl(session)}?token=${token}`);
    const provider = newProvider({ url: t.whiteboardUrl(session), name: session, token });
    await authenticationFailed(provider);
    expect(t.logs.some((line) => line.event === 'auth_failed')).toBe(true);
    expect(t.rawLogs()).not.toContain(token);
    expect(t.rawLogs()).not.toContain(token.split('.')[2]);
  });
});

describe('message size limit', () => {
  it('closes a socket that sends a frame over MAX_MESSAGE_BYTES with 1009; others carry on', async () => {
    const t = await startServer({ MAX_BOARD_BYTES: '4096', MAX_MESSAGE_BYTES: '4096' });
    const token = t.token({ sid: session });
    const good = newProvider({ url: t.whiteboardUrl(session), name: session, token });
    await synced(good);
    const raw = new WebSocket(t.whiteboardUrl(session), { headers: { Authorization: `Bearer ${token}` } });
    await nextEvent(raw, 'open');
    const closing = nextEvent<[number]>(raw, 'close');
    raw.send(Buffer.alloc(10_000));
    const [code] = await closing;
    expect(code).toBe(1009);
    good.document.getText('t').insert(0, 'still here');
    const reader = newProvider({ url: t.whiteboardUrl(session), name: session, token });
    await synced(reader);
    await docMatches(reader.document, () => reader.document.getText('t').toString() === 'still here');
  });
});
