import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { spawnServer } from '../utils/childServer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { authFrame, awarenessFrame, syncStep1Frame, updateFrame } from '../utils/frames.ts';
import { newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, testSecret, type TestServer } from '../utils/server.ts';
import { closed } from '../utils/upgrade.ts';
import { nextEvent, until, withTimeout } from '../utils/waitFor.ts';

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  registerCleanup(() => ws.terminate());
  return withTimeout(new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  }), 5_000, `open ${url}`);
}

/** A raw socket that authenticated `key` with a valid token (the server answered). */
async function attached(t: TestServer, sessionId: string, key = sessionId): Promise<WebSocket> {
  const ws = await open(t.whiteboardUrl(sessionId));
  const answered = nextEvent(ws, 'message');
  ws.send(authFrame(key, t.token({ sub: 'mallory', sid: sessionId })));
  ws.send(syncStep1Frame(key));
  await answered;
  return ws;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

describe('one client cannot hurt the others', () => {
  it('unauthenticated sockets are cut off after MAX_UNAUTHENTICATED_BYTES: 100 sockets × 4.5 MB cost the server little', async () => {
    const dir = tempDir();
    const server = await spawnServer({ DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: testSecret });
    const url = `ws://127.0.0.1:${server.port}/ws/v2/session/victim/whiteboard`;
    const pid = server.child.pid!;
    const before = rssBytes(pid);
    const frame = updateFrame('victim', new Uint8Array(1.5 * 1024 * 1024));
    const sockets = await Promise.all(Array.from({ length: 100 }, () => open(url)));
    const allClosed = Promise.all(sockets.map((ws) => new Promise((resolve) => ws.once('close', resolve))));
    for (const ws of sockets) for (let i = 0; i < 3; i += 1) ws.send(frame);
    await withTimeout(allClosed, 20_000, 'every attacking socket to be closed');
    const grown = rssBytes(pid) - before;
    // 450 MB were sent; before the guard Hocuspocus queued up to 5 MB per socket.
    expect(grown).toBeLessThan(120 * 1024 * 1024);
    const health = await fetch(`http://127.0.0.1:${server.port}/health`);
    expect(health.status).toBe(200);
  });

  it('a socket that never authenticates is closed with 4401 after AUTH_TIMEOUT_MS', async () => {
    const t = await startServer({ AUTH_TIMEOUT_MS: '300' });
    const ws = await open(t.whiteboardUrl('idle'));
    expect(await closed(ws)).toEqual({ code: 4401, reason: 'authentication timeout' });
  });

  it('one socket may attach at most MAX_DOCUMENTS_PER_SOCKET routing keys', async () => {
    const t = await startServer({ MAX_DOCUMENTS_PER_SOCKET: '4' });
    const ws = await attached(t, 'fanout', 'fanout\u0000k0');
    const done = closed(ws);
    for (let i = 1; i < 50; i += 1) ws.send(authFrame(`fanout\u0000k${i}`, t.token({ sub: 'mallory', sid: 'fanout' })));
    expect(await done).toMatchObject({ code: 1008, reason: expect.stringContaining('MAX_DOCUMENTS_PER_SOCKET') });
    expect(t.server.hocuspocus.documents.get('fanout')?.getConnectionsCount() ?? 0).toBeLessThanOrEqual(4);
  });

  it('an awareness flood of fake client ids is refused before it is decoded', async () => {
    const t = await startServer();
    const ws = await attached(t, 'flood');
    const done = closed(ws);
    const ids = Array.from({ length: 500 }, (_, i) => 1_000_000 + i);
    ws.send(awarenessFrame('flood', ids, { user: { name: 'bot' } }));
    expect(await done).toMatchObject({ code: 1008, reason: expect.stringContaining('MAX_AWARENESS_CLIENTS') });
    expect(t.server.hocuspocus.documents.get('flood')?.awareness.getStates().size ?? 0).toBeLessThanOrEqual(1);
  });

  it("a connection cannot overwrite another client's awareness entry, nor own more than MAX_AWARENESS_CLIENTS ids", async () => {
    const t = await startServer({ MAX_AWARENESS_CLIENTS: '2' });
    const name = 'cursors';
    const alice = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'alice', sid: name }) });
    const bob = newProvider({ url: t.whiteboardUrl(name), name, token: t.token({ sub: 'bob', sid: name }) });
    await Promise.all([synced(alice), synced(bob)]);
    alice.setAwarenessField('user', { name: 'Alice' });
    const server = t.server.hocuspocus.documents.get(name)!;
    const aliceId = alice.document.clientID;
    await until(() => (server.awareness.getStates().get(aliceId) as any)?.user?.name === 'Alice', server.awareness as never, 'change');

    const mallory = await attached(t, name);
    // Alice's id with a higher clock, then two ids of its own and one too many, in separate frames.
    mallory.send(awarenessFrame(name, [aliceId], { user: { name: 'Mallory' } }, 1_000));
    for (const id of [7, 8, 9]) mallory.send(awarenessFrame(name, [id], { user: { name: `fake-${id}` } }));
    // Bob sees Mallory's two own ids arrive (the frames are handled in order), never a third, and Alice unchanged.
    await until(() => bob.awareness!.getStates().has(8), bob.awareness as never, 'change', 5_000, 'mallory ids at bob');
    alice.setAwarenessField('user', { name: 'Alice 2' });
    await until(() => (bob.awareness!.getStates().get(aliceId) as any)?.user?.name === 'Alice 2', bob.awareness as never, 'change');
    expect(bob.awareness!.getStates().has(9)).toBe(false);
    expect(server.awareness.getStates().has(9)).toBe(false);
    expect((server.awareness.getStates().get(aliceId) as any).user.name).toBe('Alice 2');
  });
});
