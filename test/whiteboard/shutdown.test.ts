import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Authenticator } from '../../src/auth.ts';
import { spawnServer } from '../utils/childServer.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, testSecret } from '../utils/server.ts';
import { attemptUpgrade } from '../utils/upgrade.ts';
import { nextEvent } from '../utils/waitFor.ts';

describe('graceful shutdown', () => {
  it('compacts every loaded document, closes providers with 1012 so they reconnect, refuses upgrades with 503', async () => {
    const t = await startServer({ STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000', DRAIN_DELAY_MS: '300' });
    const provider = newProvider({ url: t.whiteboardUrl('flush-me'), name: 'flush-me', token: t.token({ sid: 'flush-me' }) });
    await synced(provider);
    provider.document.getMap('shapes').set('s', { kind: 'triangle' });
    await acknowledged(provider);
    expect((await t.server.store.pending('flush-me')).updates).toBeGreaterThan(0);

    const closing = nextEvent<[{ event: { code: number } }]>(provider as never, 'close');
    const stopping = t.stop();
    expect(t.server.isShuttingDown).toBe(true);
    const refused = await attemptUpgrade(t.whiteboardUrl('flush-me'), { Authorization: `Bearer ${t.token({ sid: 'flush-me' })}` });
    expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    const [{ event }] = await closing;
    expect(event.code).toBe(1012);
    await stopping;
    expect(t.server.store.isOpen).toBe(false);

    const db = new Database(t.databasePath, { readonly: true });
    const row = db.prepare("SELECT state FROM documents WHERE name = 'flush-me'").get() as { state: Buffer };
    const restored = new Y.Doc();
    Y.applyUpdate(restored, row.state);
    expect(restored.getMap('shapes').get('s')).toEqual({ kind: 'triangle' });
    expect(db.prepare("SELECT COUNT(*) AS n FROM document_updates WHERE document_name = 'flush-me'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('SIGTERM exits 0 within SHUTDOWN_TIMEOUT_MS; a second signal changes nothing', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, SHUTDOWN_TIMEOUT_MS: '5000', DRAIN_DELAY_MS: '200' };
    const server = await spawnServer(env);
    const token = new Authenticator({ secret: testSecret }).sign({ sub: 'u', sid: 'sig' }, 600);
    const provider = newProvider({ url: `ws://127.0.0.1:${server.port}/ws/v2/session/sig/whiteboard`, name: 'sig', token });
    await synced(provider);
    provider.document.getText('t').insert(0, 'before the deploy');
    await acknowledged(provider);
    const started = Date.now();
    server.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.lines.some((l) => l.event === 'shutdown_complete')).toBe(true);
    provider.destroy();

    const again = await spawnServer(env);
    const reader = newProvider({ url: `ws://127.0.0.1:${again.port}/ws/v2/session/sig/whiteboard`, name: 'sig', token });
    await synced(reader);
    expect(reader.document.getText('t').toString()).toBe('before the deploy');
  });
});
