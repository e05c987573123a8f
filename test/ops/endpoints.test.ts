import { describe, expect, it } from 'vitest';
import { version } from '../../src/version.ts';
import { startServer } from '../utils/server.ts';
import { call, sample, scrape } from './helpers.ts';

describe('operations endpoints', () => {
  it('GET /health answers 200 with status, version and uptime', async () => {
    const t = await startServer();
    const { status, body, headers } = await call(t, 'GET', '/health');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).toEqual({ status: 'ok', version, uptimeS: expect.any(Number) });
    expect(body.uptimeS).toBeGreaterThanOrEqual(0);
  });

  it('GET /ready is 200 while SQLite takes writes, 503 with the reason when it does not', async () => {
    const t = await startServer();
    expect(await call(t, 'GET', '/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
    t.server.store.close();
    const answer = await call(t, 'GET', '/ready');
    expect(answer).toMatchObject({ status: 503, body: { status: 'unavailable', reason: 'storage_not_writable' } });
    // Liveness does not depend on storage: restarting would not help.
    expect((await call(t, 'GET', '/health')).status).toBe(200);
  });

  it('GET /metrics serves the Prometheus text format with server and process metrics', async () => {
    const t = await startServer();
    const answer = await call(t, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.body as string;
    expect(sample(text, 'tutorboard_info', { version })).toBe(1);
    expect(sample(text, 'tutorboard_connections', { type: 'whiteboard' })).toBe(0);
    expect(sample(text, 'tutorboard_connections', { type: 'tutor' })).toBe(0);
    expect(sample(text, 'tutorboard_sessions_active')).toBe(0);
    expect(sample(text, 'tutorboard_documents_loaded')).toBe(0);
    expect(text).toContain('# TYPE tutorboard_update_log_append_duration_seconds histogram');
    expect(text).toContain('# TYPE tutorboard_store_duration_seconds histogram');
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // One HELP line per metric even though the process metrics come from a shared registry.
    expect(text.match(/^# HELP nodejs_eventloop_lag_seconds /gm)).toHaveLength(1);
  });

  it('two servers in one process keep separate metrics', async () => {
    const a = await startServer();
    const b = await startServer();
    a.server.metrics.authFailure('tutor', 'only-on-a');
    expect(sample(await scrape(a), 'tutorboard_auth_failures_total', { type: 'tutor', reason: 'only-on-a' })).toBe(1);
    expect(sample(await scrape(b), 'tutorboard_auth_failures_total', { type: 'tutor', reason: 'only-on-a' })).toBeUndefined();
  });

  it('METRICS_TOKEN protects /metrics with a bearer token', async () => {
    const t = await startServer({ METRICS_TOKEN: 'scrape-me-please' });
    expect(await call(t, 'GET', '/metrics')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect((await call(t, 'GET', '/metrics', { token: 'scrape-me-not!!!' })).status).toBe(401);
    expect((await call(t, 'GET', '/metrics', { token: 'scrape-me-please' })).status).toBe(200);
    // Probes stay open: a load balancer has no token.
    expect((await call(t, 'GET', '/ready')).status).toBe(200);
  });

  it('a server built with metrics: false answers /metrics with 404 and still serves the probes', async () => {
    const t = await startServer({}, { metrics: false });
    expect(await call(t, 'GET', '/metrics')).toMatchObject({ status: 404, body: { error: { code: 'metrics_disabled' } } });
    expect((await call(t, 'GET', '/ready')).status).toBe(200);
  });

  it('other methods get 405 JSON; unknown paths still 404 JSON', async () => {
    const t = await startServer();
    expect(await call(t, 'POST', '/health')).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect(await call(t, 'GET', '/nope')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('a plain GET on a WebSocket path is 426 Upgrade Required, not 404; a bad session id there is 400', async () => {
    const t = await startServer();
    for (const path of ['/ws/v2/session/lesson-1', '/ws/v2/session/lesson-1/whiteboard']) {
      const response = await fetch(t.httpUrl(path));
      expect(response.status).toBe(426);
      expect(response.headers.get('upgrade')).toBe('websocket');
      expect(await response.json()).toMatchObject({ error: { code: 'upgrade_required', message: expect.stringMatching(/WebSocket endpoint/) } });
    }
    expect(await call(t, 'GET', '/ws/v2/session/bad%20id')).toMatchObject({ status: 400, body: { error: { code: 'invalid_session_id' } } });
    expect((await call(t, 'GET', '/ws/v2/other')).status).toBe(404);
  });
});
