import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { startServer, testSecret, type TestServer } from '../utils/server.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

/** node:http, because fetch will not send a Host header of our choosing. */
function raw(t: TestServer, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: t.port, method, path, headers, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function mint(t: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return raw(t, 'POST', '/dev/token', { 'Content-Type': 'application/json', ...headers }, JSON.stringify(body));
}

const verifier = new Authenticator({ secret: testSecret });

describe('demo page routes', () => {
  it('serves the page to browsers and keeps the JSON index for everyone else', async () => {
    const t = await startServer();
    for (const accept of [undefined, '*/*', 'application/json']) {
      const answer = await raw(t, 'GET', '/', accept ? { Accept: accept } : {});
      expect(answer.status).toBe(200);
      expect(answer.json()).toMatchObject({ name: 'tutorboard', whiteboard: '/ws/v2/session/{sessionId}/whiteboard' });
    }
    const page = await raw(t, 'GET', '/?session=x', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.text).toContain('<div id="app">');
    // Every asset the page names is served, with its type, and cached for good (hashed names).
    const assets = [...page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const answer = await raw(t, 'GET', asset);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(answer.headers['cache-control']).toContain('immutable');
    }
    const head = await raw(t, 'HEAD', '/favicon.svg');
    expect(head).toMatchObject({ status: 200, text: '' });
    expect(head.headers['content-type']).toBe('image/svg+xml');
  });

  it('serves nothing outside the built page, nor its dot files', async () => {
    const t = await startServer();
    for (const path of ['/assets/..%2f..%2fpackage.json', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/.inputs', '/assets/%00x.js', '/build.ts', '/src/main.ts']) {
      const answer = await raw(t, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.json().error.code).toBe('not_found');
    }
  });

  it('mints a tutor token and a session-scoped admin token on this machine', async () => {
    const t = await startServer();
    expect((await raw(t, 'GET', '/demo/config.json')).json()).toMatchObject({ name: 'tutorboard', devTokens: true, devTokenMode: 'loopback' });
    const tutor = await mint(t, { session: 'algebra-1', name: ' Ada L. ', role: 'tutor' });
    expect(tutor.status).toBe(200);
    const body = tutor.json();
    expect(body).toMatchObject({ userId: 'Ada L.', role: 'tutor', sessionId: 'algebra-1', expiresInS: 3600 });
    expect(verifier.verify(body.token)).toEqual({ userId: 'Ada L.', sessionScope: 'algebra-1', role: 'tutor' });
    expect(verifier.verify(body.adminToken)).toEqual({ userId: 'Ada L.', sessionScope: 'algebra-1', role: 'admin' });
    // The admin token opens this session's snapshots and no other's.
    const own = await fetch(t.httpUrl('/api/sessions/algebra-1/snapshots'), { headers: { Authorization: `Bearer ${body.adminToken}` } });
    expect(own.status).not.toBe(403);
    const other = await fetch(t.httpUrl('/api/sessions/other/snapshots'), { headers: { Authorization: `Bearer ${body.adminToken}` } });
    expect(other.status).toBe(403);
    const student = (await mint(t, { session: 'algebra-1', name: 'Ben', role: 'student' })).json();
    expect(student.adminToken).toBeUndefined();
    expect(verifier.verify(student.token).role).toBe('student');
    expect(t.rawLogs()).not.toContain(body.token);
    expect(t.logs.some((l) => l.event === 'dev_token' && l.userId === 'Ada L.' && l.admin === true)).toBe(true);
  });

  it('refuses bad requests with a clear code', async () => {
    const t = await startServer();
    const cases: Array<[unknown, string]> = [
      [{ session: 'a b', name: 'Ada', role: 'tutor' }, 'invalid_session_id'],
      [{ name: 'Ada', role: 'tutor' }, 'invalid_session_id'],
      [{ session: 's', name: '', role: 'tutor' }, 'invalid_name'],
      [{ session: 's', name: 'x'.repeat(41), role: 'tutor' }, 'invalid_name'],
      [{ session: 's', name: 'bad\nname', role: 'tutor' }, 'invalid_name'],
      [{ session: 's', name: 'Ada', role: 'admin' }, 'invalid_role'],
      [{ session: 's', name: 'Ada' }, 'invalid_role'],
    ];
    for (const [body, code] of cases) {
      const answer = await mint(t, body);
      expect([answer.status, answer.json().error.code], JSON.stringify(body)).toEqual([400, code]);
    }
    const form = await raw(t, 'POST', '/dev/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'session=s&name=a&role=tutor');
    expect([form.status, form.json().error.code]).toEqual([400, 'invalid_content_type']);
    const notJson = await raw(t, 'POST', '/dev/token', { 'Content-Type': 'application/json' }, '{nope');
    expect([notJson.status, notJson.json().error.code]).toEqual([400, 'invalid_json']);
    const get = await raw(t, 'GET', '/dev/token');
    expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
  });

  it('hands no token to another site, another host name or (by default) another machine', async () => {
    const t = await startServer();
    const body = { session: 's', name: 'Ada', role: 'tutor' };
    const crossOrigin = await mint(t, body, { Origin: 'https://evil.example' });
    expect([crossOrigin.status, crossOrigin.json().error.message]).toEqual([403, expect.stringMatching(/cross-origin/)]);
    // DNS rebinding: the request reaches 127.0.0.1 but names another host.
    const rebound = await mint(t, body, { Host: `evil.example:${t.port}`, Origin: `http://evil.example:${t.port}` });
    expect([rebound.status, rebound.json().error.message]).toEqual([403, expect.stringMatching(/DEV_TOKENS=loopback/)]);
    expect((await raw(t, 'GET', '/demo/config.json', { Host: `evil.example:${t.port}` })).json().devTokens).toBe(false);
    const sameOrigin = await mint(t, body, { Origin: `http://127.0.0.1:${t.port}` });
    expect(sameOrigin.status).toBe(200);
    const localhost = await mint(t, body, { Host: `localhost:${t.port}` });
    expect(localhost.status).toBe(200);

    const any = await startServer({ DEV_TOKENS: 'any' });
    expect((await mint(any, body, { Host: `classroom.lan:${any.port}` })).status).toBe(200);
    expect((await mint(any, body, { Host: `classroom.lan:${any.port}`, Origin: 'https://evil.example' })).status).toBe(403);
  });

  it('DEV_TOKENS=off and production have no token endpoint; production serves the page only with DEMO=1', async () => {
    const off = await startServer({ DEV_TOKENS: 'off' });
    expect((await mint(off, { session: 's', name: 'Ada', role: 'tutor' })).status).toBe(404);
    expect((await raw(off, 'GET', '/demo/config.json')).json().devTokens).toBe(false);

    const production = await startServer({ NODE_ENV: 'production' });
    expect((await mint(production, { session: 's', name: 'Ada', role: 'tutor' })).status).toBe(404);
    const index = await raw(production, 'GET', '/', { Accept: 'text/html' });
    expect(index.json().name).toBe('tutorboard');
    expect((await raw(production, 'GET', '/demo/config.json')).status).toBe(404);
    expect((await raw(production, 'GET', '/favicon.svg')).status).toBe(404);

    const demo = await startServer({ NODE_ENV: 'production', DEMO: '1' });
    expect((await raw(demo, 'GET', '/', { Accept: 'text/html' })).text).toContain('<div id="app">');
    expect((await raw(demo, 'GET', '/demo/config.json')).json().devTokens).toBe(false);
    expect((await mint(demo, { session: 's', name: 'Ada', role: 'tutor' })).status).toBe(404);

    const noPage = await startServer({ DEMO: '0' });
    expect((await raw(noPage, 'GET', '/', { Accept: 'text/html' })).json().name).toBe('tutorboard');
  });

  it('validates DEMO and DEV_TOKENS', () => {
    const error = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (e) {
        if (e instanceof ConfigError) return e;
      }
      throw new Error('expected a ConfigError');
    };
    expect(loadConfig({}).demo).toEqual({ enabled: true, devTokens: 'loopback' });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: testSecret }).demo).toEqual({ enabled: false, devTokens: 'off' });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: testSecret, DEMO: 'true' }).demo.enabled).toBe(true);
    expect(error({ DEMO: 'yes' }).variable).toBe('DEMO');
    expect(error({ DEV_TOKENS: 'everyone' }).variable).toBe('DEV_TOKENS');
    expect(error({ NODE_ENV: 'production', JWT_SECRET: testSecret, DEV_TOKENS: 'loopback' })).toMatchObject({
      variable: 'DEV_TOKENS',
      message: expect.stringMatching(/production/),
    });
  });
});
