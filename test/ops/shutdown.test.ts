import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Authenticator } from '../../src/auth.ts';
import { SqliteStore } from '../../src/storage/SqliteStore.ts';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, testSecret } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';
import { attemptUpgrade } from '../utils/upgrade.ts';
import { nextEvent } from '../utils/waitFor.ts';
import { call } from './helpers.ts';

describe('orderly shutdown', () => {
  it('not ready and no upgrades at once; sockets keep working through DRAIN_DELAY_MS, then close with 1012', async () => {
    const drainDelayMs = 400;
    const t = await startServer({ DRAIN_DELAY_MS: String(drainDelayMs), STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' });
    const provider = newProvider({ url: t.whiteboardUrl('deploy'), name: 'deploy', token: t.token({ sid: 'deploy' }) });
    await synced(provider);
    const a = await tutorSocket(t.tutorUrl('deploy', { token: t.token({ sub: 'a', sid: 'deploy' }) }));
    const b = await tutorSocket(t.tutorUrl('deploy', { token: t.token({ sub: 'b', sid: 'deploy' }) }));
    const providerClosed = nextEvent<[{ event: { code: number } }]>(provider as never, 'close');

    const started = Date.now();
    const stopping = t.stop();
    expect(await call(t, 'GET', '/ready')).toMatchObject({ status: 503, body: { reason: 'shutting_down' } });
    expect((await call(t, 'GET', '/health')).status).toBe(200);
    const tutorRefused = await attemptUpgrade(t.tutorUrl('deploy', { token: t.token({ sid: 'deploy' }) }));
    expect(tutorRefused).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    const whiteboardRefused = await refusedUpgrade(t.whiteboardUrl('deploy'), { headers: { Authorization: `Bearer ${t.token({ sid: 'deploy' })}` } });
    expect(whiteboardRefused).toMatchObject({ status: 503, body: { error: { code: 'shutting_down' } } });

    // Within the drain window the open sockets still work.
    a.socket.send({ type: 'chat', text: 'still here' });
    await b.socket.nextOfType<RoomMessage>('chat');
    provider.document.getText('t').insert(0, 'late edit');
    await acknowledged(provider);

    expect(await a.socket.waitForClose()).toEqual({ code: 1012, reason: 'server restarting' });
    expect((await b.socket.waitForClose()).code).toBe(1012);
    expect((await providerClosed)[0].event.code).toBe(1012);
    expect(Date.now() - started).toBeGreaterThanOrEqual(drainDelayMs);
    await stopping;
    expect(t.server.store.isOpen).toBe(false);
    const events = t.logs.map((l) => l.event);
    expect(events.indexOf('shutdown_started')).toBeLessThan(events.indexOf('shutdown_complete'));
    expect(t.logs.some((l) => l.event === 'shutdown_timeout')).toBe(false);
  });

  it('finishes within SHUTDOWN_TIMEOUT_MS when a document never unloads, and still compacts it', async () => {
    const t = await startServer({ SHUTDOWN_TIMEOUT_MS: '300', STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' });
    const held = await t.server.hocuspocus.openDirectConnection('held');
    await held.transact((doc) => doc.getText('t').insert(0, 'held open'));
    expect((await t.server.store.pending('held')).updates).toBeGreaterThan(0);

    const started = Date.now();
    await t.stop();
    const elapsed = Date.now() - started;
    // It waits out the drain until the deadline, less the reserve kept for the final flush (10 %, at most 250 ms).
    expect(elapsed).toBeGreaterThanOrEqual(270);
    expect(elapsed).toBeLessThan(2_000);
    expect(t.logs.some((l) => l.event === 'shutdown_timeout')).toBe(true);

    const store = new SqliteStore(t.databasePath);
    const stored = store.loadSync('held');
    store.close();
    expect(stored.updates).toHaveLength(0);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, stored.state!);
    expect(doc.getText('t').toString()).toBe('held open');
  });

  it('a drain delay longer than SHUTDOWN_TIMEOUT_MS still closes tutor and whiteboard sockets with 1012', async () => {
    const t = await startServer({ DRAIN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '200' });
    const provider = newProvider({ url: t.whiteboardUrl('slow'), name: 'slow', token: t.token({ sid: 'slow' }) });
    await synced(provider);
    const tutor = await tutorSocket(t.tutorUrl('slow', { token: t.token({ sid: 'slow' }) }));
    const providerClosed = nextEvent<[{ event: { code: number } }]>(provider as never, 'close');
    await t.stop();
    expect((await tutor.socket.waitForClose()).code).toBe(1012);
    expect((await providerClosed)[0].event.code).toBe(1012);
  });
});

describe('SIGTERM on the real process', () => {
  it('ready 503 at once, 1012 on both paths after the drain delay, exit 0 within SHUTDOWN_TIMEOUT_MS, no token in the output', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, DRAIN_DELAY_MS: '400', SHUTDOWN_TIMEOUT_MS: '5000', LOG_LEVEL: 'debug' };
    const server = await spawnServer(env);
    const signer = new Authenticator({ secret: testSecret });
    const token = signer.sign({ sub: 'u', sid: 'term' }, 600);
    const base = `127.0.0.1:${server.port}`;
    const provider = newProvider({ url: `ws://${base}/ws/v2/session/term/whiteboard?token=${token}`, name: 'term', token });
    await synced(provider);
    const tutor = await tutorSocket(`ws://${base}/ws/v2/session/term?token=${token}`);
    const providerClosed = nextEvent<[{ event: { code: number } }]>(provider as never, 'close');

    const started = Date.now();
    server.child.kill('SIGTERM');
    await server.output(/"event":"shutdown_started"/);
    const ready = await fetch(`http://${base}/ready`, { signal: AbortSignal.timeout(2_000) });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ reason: 'shutting_down' });
    expect((await tutor.socket.waitForClose()).code).toBe(1012);
    expect((await providerClosed)[0].event.code).toBe(1012);
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.stdout()).toContain('"event":"shutdown_complete"');
    expect(server.stdout()).not.toContain(token.split('.').at(-1));
  });
});
