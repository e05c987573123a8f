/**
 * Issue 8: tokens without `exp` were accepted forever. `exp` is required (JWT_REQUIRE_EXP) and may
 * lie at most JWT_MAX_TTL ahead; every token the project mints still passes.
 */
import { spawnSync } from 'node:child_process';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { Authenticator, clockSkewSeconds } from '../../src/auth.ts';
import { call } from '../ops/helpers.ts';
import { binPath } from '../utils/childServer.ts';
import { authenticationFailed, newProvider, synced } from '../utils/provider.ts';
import { startServer, testSecret } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';
import { attemptUpgrade } from '../utils/upgrade.ts';

const session = 'ttl';
const now = () => Math.floor(Date.now() / 1000);
const sign = (claims: Record<string, unknown>) => jwt.sign({ sub: 'u', sid: session, ...claims }, testSecret);
const hours = (n: number) => n * 3600;

async function refusal(url: string, token: string): Promise<{ status: number; code: string }> {
  const outcome = await attemptUpgrade(url, { Authorization: `Bearer ${token}` });
  if ('open' in outcome) throw new Error('the upgrade was accepted');
  return { status: outcome.status, code: JSON.parse(outcome.body).error.code };
}

describe('token lifetime: exp required, at most JWT_MAX_TTL ahead', () => {
  it('refuses a token without exp or too far ahead, with a clear code, on every path', async () => {
    const t = await startServer();
    const noExp = sign({});
    const twoDays = sign({ exp: now() + hours(48) });
    expect(await refusal(t.whiteboardUrl(session), noExp)).toEqual({ status: 401, code: 'token_no_expiry' });
    expect(await refusal(t.whiteboardUrl(session), twoDays)).toEqual({ status: 401, code: 'token_ttl_too_long' });
    const tutor = await refusedUpgrade(t.tutorUrl(session, { token: noExp }));
    expect(tutor).toMatchObject({ status: 401, body: { error: { code: 'token_no_expiry', message: expect.stringMatching(/no exp claim/) } } });
    expect((await refusedUpgrade(t.tutorUrl(session, { token: twoDays }))).body.error).toMatchObject({
      code: 'token_ttl_too_long',
      message: expect.stringMatching(/at most 86400 s allowed \(JWT_MAX_TTL\)/),
    });
    const admin = await call(t, 'GET', '/api/sessions', { token: jwt.sign({ sub: 'ops', sid: '*', role: 'admin' }, testSecret) });
    expect(admin).toMatchObject({ status: 401, body: { error: { code: 'token_no_expiry' } } });
    // The provider's own token is checked after the upgrade: the reason names the refusal.
    const provider = newProvider({ url: t.whiteboardUrl(session), name: session, token: noExp });
    expect(await authenticationFailed(provider)).toMatch(/token_no_expiry/);
    // Within the limit (23 h, or 24 h plus a little clock skew): accepted.
    await tutorSocket(t.tutorUrl(session, { token: sign({ exp: now() + hours(23) }) }));
    await tutorSocket(t.tutorUrl(session, { token: sign({ exp: now() + hours(24) + clockSkewSeconds / 2 }) }));
    // The reasons are counted like any auth failure.
    const metrics = await call(t, 'GET', '/metrics');
    expect(metrics.body).toMatch(/tutorboard_auth_failures_total\{[^}]*reason="token_no_expiry"[^}]*\} [1-9]/);
  });

  it('honours JWT_MAX_TTL, 0 for no limit (exp still required) and JWT_REQUIRE_EXP=0', async () => {
    const short = await startServer({ JWT_MAX_TTL: '15m' });
    expect(await refusal(short.whiteboardUrl(session), sign({ exp: now() + 20 * 60 }))).toMatchObject({ code: 'token_ttl_too_long' });
    await tutorSocket(short.tutorUrl(session, { token: sign({ exp: now() + 10 * 60 }) }));

    const unlimited = await startServer({ JWT_MAX_TTL: '0' });
    await tutorSocket(unlimited.tutorUrl(session, { token: sign({ exp: now() + hours(24 * 365) }) }));
    expect(await refusal(unlimited.whiteboardUrl(session), sign({}))).toMatchObject({ code: 'token_no_expiry' });

    const lenient = await startServer({ JWT_REQUIRE_EXP: '0' });
    await tutorSocket(lenient.tutorUrl(session, { token: sign({}) }));
    expect(await refusal(lenient.whiteboardUrl(session), sign({ exp: now() + hours(48) }))).toMatchObject({ code: 'token_ttl_too_long' });
  });

  it('every token the project mints passes: test helper, Authenticator.sign (capped), CLI token', async () => {
    const t = await startServer();
    const provider = newProvider({ url: t.whiteboardUrl(session), name: session, token: t.token({ sid: session }) });
    await synced(provider);
    // A signer asked for more than its limit mints a token at the limit, which its server accepts.
    const week = new Authenticator({ secret: testSecret }).sign({ sub: 'u', sid: session }, hours(24 * 7));
    const claims = jwt.decode(week) as { exp: number; iat: number };
    expect(claims.exp - claims.iat).toBe(hours(24));
    await tutorSocket(t.tutorUrl(session, { token: week }));

    const cli = (ttl: string, env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [binPath, 'token', '--sub', 'ada', '--session', session, '--ttl', ttl], {
        env: { ...process.env, JWT_SECRET: testSecret, ...env },
        encoding: 'utf8',
      });
    const day = cli('24h');
    expect(day.status).toBe(0);
    await tutorSocket(t.tutorUrl(session, { token: day.stdout.trim() }));
    const tooLong = cli('7d');
    expect(tooLong).toMatchObject({ status: 2, stderr: expect.stringMatching(/--ttl 7d is longer than JWT_MAX_TTL/) });
    expect(cli('7d', { JWT_MAX_TTL: '7d' }).status).toBe(0);
  });
});
