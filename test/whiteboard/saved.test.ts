import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Extension } from '@hocuspocus/server';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { SaveRefusedError, whenSaved } from '../../src/client/whenSaved.ts';
import { spawnServer } from '../utils/childServer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, testSecret } from '../utils/server.ts';
import { nextEvent, until } from '../utils/waitFor.ts';

/** Each inbound frame takes a few milliseconds, as with a remote database: races become visible. */
class SlowMessages implements Extension {
  extensionName = 'SlowMessages';
  async beforeHandleMessage(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 4));
  }
}

describe('save receipts', () => {
  it('whenSaved resolves only when the edits are durable: kill -9 right after keeps every one', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret, STORE_DEBOUNCE_MS: '600000', STORE_MAX_DEBOUNCE_MS: '600000' };
    const token = new Authenticator({ secret: testSecret }).sign({ sub: 'student', sid: 'receipts' }, 600);
    const server = await spawnServer(env);
    const url = `ws://127.0.0.1:${server.port}/ws/v2/session/receipts/whiteboard`;
    const provider = newProvider({ url, name: 'receipts', token });
    await synced(provider);
    const shapes = provider.document.getMap('shapes');
    for (let i = 0; i < 300; i += 1) shapes.set(`s${i}`, { x: i });
    await whenSaved(provider, { timeoutMs: 10_000 });
    server.child.kill('SIGKILL');
    await server.exited;
    provider.destroy();

    const again = await spawnServer(env);
    const reader = newProvider({ url: `ws://127.0.0.1:${again.port}/ws/v2/session/receipts/whiteboard`, name: 'receipts', token });
    await synced(reader);
    expect(reader.document.getMap('shapes').size).toBe(300);
  });

  it('after a reconnect, unsyncedChanges can reach 0 before the offline edits are stored; saved cannot', async () => {
    const t = await startServer({}, { extensions: [new SlowMessages()] });
    const name = 'offline-queue';
    const provider = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sid: name }) });
    await synced(provider);
    await acknowledged(provider);
    const socket = provider.configuration.websocketProvider;
    const down = nextEvent(socket as never, 'disconnect');
    socket.disconnect();
    await down;
    // Offline: each edit is counted and its frame queued by the provider.
    const shapes = provider.document.getMap('shapes');
    for (let i = 0; i < 40; i += 1) shapes.set(`offline-${i}`, i);
    const stored = () => t.server.hocuspocus.documents.get(name)?.getMap('shapes').size ?? 0;

    let storedAtFirstZero: number | undefined;
    provider.on('unsyncedChanges', ({ number }: { number: number }) => {
      if (number === 0 && storedAtFirstZero === undefined) storedAtFirstZero = stored();
    });
    const saved = whenSaved(provider, { timeoutMs: 10_000 }).then(() => stored());
    void socket.connect();
    const storedWhenSaved = await saved;
    await until(() => storedAtFirstZero !== undefined, provider as never, 'unsyncedChanges', 10_000, 'unsyncedChanges at 0');
    // What a client may rely on: `saved`, not the provider's counter.
    expect(storedWhenSaved).toBe(40);
    expect(storedAtFirstZero).toBeLessThan(40);
  });

  it('an observer is told its changes will not be saved; a writer whose board is full is told why', async () => {
    const t = await startServer({ MAX_BOARD_BYTES: String(32 * 1024) });
    const name = 'refusals';
    const observer = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'watcher', sid: name, role: 'observer' }) });
    await synced(observer);
    await expect(whenSaved(observer, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'SaveRefusedError', code: 'read_only' });

    const writer = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'student', sid: name }) });
    await synced(writer);
    writer.document.getMap('shapes').set('big', 'x'.repeat(64 * 1024));
    const error = await whenSaved(writer, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SaveRefusedError);
    expect((error as SaveRefusedError).code).toBe('board_too_large');
  });

  it('whenSaved waits out a storage fault: pending while the write lock is held, resolved once the resend is committed', async () => {
    const t = await startServer({ SQLITE_BUSY_TIMEOUT_MS: '20' });
    const other = new Database(t.databasePath);
    registerCleanup(() => other.close());
    const name = 'saved-fault';
    const provider = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sid: name }) });
    await synced(provider);
    other.exec('BEGIN IMMEDIATE');
    const refused = nextEvent<[{ event: { code: number } }]>(provider as never, 'close', ({ event }) => event.code === 4503);
    provider.document.getMap('shapes').set('during', 1);
    let settled = false;
    const saved = whenSaved(provider, { timeoutMs: 15_000 }).finally(() => (settled = true));
    await refused;
    expect(settled).toBe(false);
    other.exec('ROLLBACK');
    await saved;
    expect(t.server.hocuspocus.documents.get(name)!.getMap('shapes').get('during')).toBe(1);
    expect((await t.server.store.load(name)).updates.length).toBeGreaterThan(0);
  });
});
