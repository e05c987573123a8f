/**
 * Issue 8: a JWT reached the logs through `?%74oken=`, other parameter names, the path and Node's
 * invalid-URL error, and unparseable targets or very deep JSON got 500. No log line may contain a
 * JWT whatever carries it; client errors are 400.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskTokens, redactUrl } from '../../src/logger.ts';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';
import { upgradeStatus } from '../utils/upgrade.ts';
import { withTimeout } from '../utils/waitFor.ts';
import { adminToken, call } from './helpers.ts';

/** Sends `head` as is on a fresh TCP connection; resolves with the response's status line. */
function rawRequest(t: TestServer, head: string): Promise<string> {
  const socket = connect(t.port, '127.0.0.1');
  let answer = '';
  const done = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) resolve(answer.split('\r\n')[0]);
    });
    socket.on('close', () => resolve(answer.split('\r\n')[0]));
    socket.on('error', () => {});
  });
  socket.write(head);
  return withTimeout(done, 5_000, `an answer to ${head.split('\r\n')[0].slice(0, 40)}`).finally(() => socket.destroy());
}

const upgradeHead = (target: string) =>
  `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
const getHead = (target: string) => `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;

function expectNoJwt(raw: string, tokens: string[]): void {
  for (const token of tokens) {
    expect(raw).not.toContain(token);
    // The signature alone would be enough to replay a JWT.
    expect(raw).not.toContain(token.split('.')[2]);
  }
}

describe('no JWT in any log line, whatever carries it', () => {
  it('header, ?token=, ?%74oken=, other parameters, the path, malformed and unparseable targets', async () => {
    const t = await startServer();
    const wrongSession = t.token({ sub: 'u1', sid: 'elsewhere' });
    const valid = t.token({ sub: 'u2', sid: 'leak' });
    const admin = adminToken(t);
    const tokens = [wrongSession, valid, admin];
    const tutor = (query: string) => `ws://127.0.0.1:${t.port}/ws/v2/session/leak${query}`;
    const whiteboard = (query: string) => `ws://127.0.0.1:${t.port}/ws/v2/session/leak/whiteboard${query}`;

    // A header and the documented parameter.
    expect(await upgradeStatus(whiteboard(''), { Authorization: `Bearer ${wrongSession}` })).toBe(403);
    expect((await refusedUpgrade(tutor(`?token=${wrongSession}`))).status).toBe(403);
    // Any spelling the query parser decodes as `token` is the token: accepted, and never logged.
    expect((await refusedUpgrade(tutor(`?%74oken=${wrongSession}`))).status).toBe(403);
    expect(await upgradeStatus(whiteboard(`?t%6Fken=${wrongSession}`))).toBe(403);
    await tutorSocket(tutor(`?%74oken=${valid}`));
    // Another parameter name is no token (401), but its value must not be logged either.
    expect((await refusedUpgrade(tutor(`?access_token=${valid}`))).status).toBe(401);
    expect(await upgradeStatus(whiteboard(`?foo=${valid}&token=x`))).toBe(401);
    // In the path: not a valid session id (400), logged with the JWT masked, also percent-encoded.
    expect((await refusedUpgrade(`ws://127.0.0.1:${t.port}/ws/v2/session/${valid}`)).status).toBe(400);
    expect(await upgradeStatus(`ws://127.0.0.1:${t.port}/ws/v2/session/%65${valid.slice(1)}/whiteboard`)).toBe(400);
    // A malformed query (a trailing %) still parses: the token is invalid (401).
    expect(await rawRequest(t, upgradeHead(`/ws/v2/session/leak?token=${valid}%`))).toBe('HTTP/1.1 401 Unauthorized');
    // Targets Node's URL parser refuses: 400 on every path, upgrade or not.
    for (const target of [`//:99999/ws/v2/session/leak?token=${valid}`, `//[${valid}/whiteboard`, `//[::1/x?token=${valid}`]) {
      expect({ target, status: await rawRequest(t, upgradeHead(target)) }).toEqual({ target, status: 'HTTP/1.1 400 Bad Request' });
      expect({ target, status: await rawRequest(t, getHead(target)) }).toEqual({ target, status: 'HTTP/1.1 400 Bad Request' });
    }
    // The admin API with the token in the query, in both spellings.
    expect((await call(t, 'GET', `/api/sessions/leak?token=${admin}`)).status).toBe(200);
    expect((await call(t, 'GET', `/api/sessions?%74oken=${admin}`)).status).toBe(200);

    const raw = t.rawLogs();
    expect(t.logs.filter((l) => l.event === 'auth_failed').length).toBeGreaterThanOrEqual(8);
    expect(t.logs.some((l) => l.reason === 'invalid_url' && l.status === 400)).toBe(true);
    expect(raw).not.toContain('Invalid URL');
    expectNoJwt(raw, tokens);
  });

  it('masks JWTs in messages, nested fields, error messages and stacks; cheaply and linearly', () => {
    let raw = '';
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        raw += chunk.toString();
        callback();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw';
    const error = new Error(`could not parse ${jwt}`);
    logger.info({ deep: { deeper: [{ value: `Bearer ${jwt}` }] }, url: `/x?%74oken=not-a-jwt-secret` }, `message with ${jwt}`);
    logger.error({ err: error }, 'failed');
    logger.warn({ err: Object.assign(new TypeError('Invalid URL'), { input: `/ws?token=${jwt}` }) }, 'node error with input');
    expectNoJwt(raw, [jwt]);
    expect(raw).not.toContain('not-a-jwt-secret');
    expect(raw.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(5);

    // What is not a JWT stays: ordinary words, dotted names, base64 without two dots.
    expect(maskTokens('{"msg":"eyJust.one dot; file.tar.gz; a=b"}')).toBe('{"msg":"eyJust.one dot; file.tar.gz; a=b"}');
    // An attacker-made path full of "eyJ" costs linear time, not quadratic.
    const hostile = `/ws/v2/session/${'eyJ'.repeat(200_000)}`;
    const started = performance.now();
    expect(maskTokens(hostile)).toBe(hostile);
    expect(performance.now() - started).toBeLessThan(500);

    expect(redactUrl(`/ws/v2/session/x/whiteboard?token=${jwt}#frag`)).toBe('/ws/v2/session/x/whiteboard');
    expect(redactUrl(`/api/${jwt}/x`)).toBe('/api/[redacted]/x');
    expect(redactUrl(`/api/%65${jwt.slice(1)}`)).toBe('/api/[redacted]');
    expect(redactUrl(undefined)).toBe('');
  });
});

describe('client errors are 400, not 500', () => {
  it('answers 30,000-deep JSON on the admin tutor/messages API with 400; the room goes on', async () => {
    const t = await startServer();
    const member = await tutorSocket(t.tutorUrl('deep', { token: t.token({ sid: 'deep' }) }));
    const deep = `{"type":"chat","x":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    const answer = await call(t, 'POST', '/api/sessions/deep/tutor/messages', { token: adminToken(t), rawBody: deep });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('body_too_deep');
    // 64 levels (the tutor channel's own limit) are fine.
    const ok = `{"type":"chat","x":${'['.repeat(63)}${']'.repeat(63)}}`;
    expect((await call(t, 'POST', '/api/sessions/deep/tutor/messages', { token: adminToken(t), rawBody: ok })).status).toBe(202);
    expect((await member.socket.nextOfType<RoomMessage>('chat')).x).toBeDefined();
    expect(t.logs.some((l) => l.level === 'error')).toBe(false);
  });
});
