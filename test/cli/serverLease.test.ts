/**
 * The offline CLI and a server that is live on the same database file but not at TUTORBOARD_URL
 * (another PORT, TUTORBOARD_URL unset): the command goes to that server or is refused, and is
 * never written to the file behind its back, where the server would compact over it.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Authenticator } from '../../src/auth.ts';
import { readLiveLeases } from '../../src/storage/ServerLease.ts';
import { api, deadUrl, edit, editor, runCli as runCliWithin, type CliResult } from '../snapshots/helpers.ts';
import { spawnServer, type ChildServer } from '../utils/childServer.ts';
import { acknowledged, docMatches, newProvider, synced } from '../utils/provider.ts';
import { startServer, tempDir, testSecret } from '../utils/server.ts';
import { eventually } from '../utils/waitFor.ts';

const publicKeyOnly = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const canUnshare = spawnSync('unshare', ['--uts', 'true']).status === 0;

/** A CLI run may take seconds on a loaded 2-core machine just to start node. */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCliWithin(args, env, 40_000);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Connects a tutor to a child server, applies `change` and waits for the acknowledgement. */
async function editChild(server: ChildServer, sessionId: string, change: (doc: Y.Doc) => void): Promise<void> {
  const token = new Authenticator({ secret: testSecret }).sign({ sub: 'tutor-1', sid: sessionId, role: 'tutor' }, 600);
  const provider = newProvider({ url: `ws://127.0.0.1:${server.port}/ws/v2/session/${sessionId}/whiteboard`, name: sessionId, token });
  await synced(provider);
  provider.document.transact(() => change(provider.document));
  await acknowledged(provider);
  provider.destroy();
}

async function childBoard(server: ChildServer, sessionId: string): Promise<unknown> {
  const token = new Authenticator({ secret: testSecret }).sign({ sub: 'reader', sid: sessionId, role: 'tutor' }, 600);
  const provider = newProvider({ url: `ws://127.0.0.1:${server.port}/ws/v2/session/${sessionId}/whiteboard`, name: sessionId, token });
  await synced(provider);
  return provider.document.getMap('shapes').toJSON();
}

function leaseRows(databasePath: string): number {
  const db = new Database(databasePath, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM server_leases').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

// Each test starts several node processes (servers and CLI runs): more than the default 20 s on a busy machine.
describe('tutorboard snapshots and a server live on the database file', { timeout: 120_000 }, () => {
  it('sends the command to that server when TUTORBOARD_URL or PORT does not reach it; connected clients see the restore', async () => {
    const t = await startServer();
    const a = await editor(t, 'lease-route');
    await edit(a, (doc) => doc.getMap('shapes').set('keep', { kind: 'rect' }));
    const base = { DATABASE_PATH: t.databasePath, JWT_SECRET: testSecret };
    const dead = await deadUrl();

    // TUTORBOARD_URL unset and another PORT: the default URL reaches nothing.
    const created = await runCli(['create', 'lease-route', '--json'], { ...base, PORT: new URL(dead).port });
    expect(created).toMatchObject({ code: 0 });
    expect(created.stderr).toContain(`answers at http://127.0.0.1:${t.port}, using it`);
    const { id } = JSON.parse(created.stdout);

    await edit(a, (doc) => {
      doc.getMap('shapes').delete('keep');
      doc.getMap('shapes').set('junk', { kind: 'scribble' });
    });
    const restored = await runCli(['restore', 'lease-route', String(id)], { ...base, TUTORBOARD_URL: dead });
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/restored lease-route to snapshot \d+; undo with/);
    // The live server applied it: the connected provider shows it, and the server's own
    // compaction on shutdown keeps it.
    await docMatches(a.document, () => JSON.stringify(a.document.getMap('shapes').toJSON()) === '{"keep":{"kind":"rect"}}', 2_000);
    a.destroy();
    await t.stop();
    const again = await startServer({}, { dir: t.dir });
    expect((await editor(again, 'lease-route')).document.getMap('shapes').toJSON()).toEqual({ keep: { kind: 'rect' } });
  });

  it('refuses every command it cannot hand over (no key to sign with), naming the server; the file is untouched', async () => {
    const t = await startServer();
    const a = await editor(t, 'lease-refuse');
    await edit(a, (doc) => doc.getMap('shapes').set('keep', { kind: 'rect' }));
    const { id } = (await api(t, 'POST', '/api/sessions/lease-refuse/snapshots')).body;
    await edit(a, (doc) => doc.getMap('shapes').set('junk', { kind: 'scribble' }));
    const before = (await api(t, 'GET', '/api/sessions/lease-refuse/snapshots')).body;
    const env = { DATABASE_PATH: t.databasePath, JWT_PUBLIC_KEY: publicKeyOnly, TUTORBOARD_URL: await deadUrl() };

    const commands = [
      ['create', 'lease-refuse', '--label', 'from the file'],
      ['restore', 'lease-refuse', String(id)],
      ['delete', 'lease-refuse', String(id)],
      ['list', 'lease-refuse'],
    ];
    const results: CliResult[] = [];
    for (const args of commands) results.push(await runCli(args, env));
    const named = new RegExp(
      `a tutorboard server \\(pid ${process.pid} on .*, listening at http://127\\.0\\.0\\.1:${t.port}, heartbeat .* s ago\\) is live on ${escapeRegExp(t.databasePath)}`,
    );
    results.forEach((result, n) => {
      expect({ args: commands[n], code: result.code }).toEqual({ args: commands[n], code: 1 });
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(named);
      expect(result.stderr).toMatch(/cannot mint an admin token: .*; not touching the file behind its back/);
    });
    expect((await api(t, 'GET', '/api/sessions/lease-refuse/snapshots')).body).toEqual(before);
    expect(a.document.getMap('shapes').toJSON()).toEqual({ keep: { kind: 'rect' }, junk: { kind: 'scribble' } });
  });

  it('refuses a server that does not answer with how to reach it; after SIGTERM works on the file at once', async () => {
    const databasePath = join(tempDir(), 'tutorboard.db');
    // A long interval: the frozen server's lease must stay live however slowly the CLI starts.
    const serverEnv = { DATABASE_PATH: databasePath, JWT_SECRET: testSecret, SERVER_LEASE_INTERVAL_MS: '10000' };
    const server = await spawnServer(serverEnv);
    await editChild(server, 'lease-child', (doc) => doc.getMap('shapes').set('keep', { kind: 'rect' }));
    const env = { DATABASE_PATH: databasePath, JWT_SECRET: testSecret, TUTORBOARD_URL: await deadUrl() };
    const created = await runCli(['create', 'lease-child', '--json'], env);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`answers at http://127.0.0.1:${server.port}, using it`);
    const { id } = JSON.parse(created.stdout);
    await editChild(server, 'lease-child', (doc) => doc.getMap('shapes').set('junk', { kind: 'scribble' }));

    // Frozen, it holds its lease (for 3 intervals) but answers nothing.
    server.child.kill('SIGSTOP');
    const frozen = await runCli(['restore', 'lease-child', String(id)], env).finally(() => server.child.kill('SIGCONT'));
    expect(frozen.code).toBe(1);
    expect(frozen.stderr.trim().split('\n')).toHaveLength(1);
    expect(frozen.stderr).toMatch(new RegExp(`server \\(pid ${server.child.pid} on .*\\) is live on .* and does not answer at`));
    expect(frozen.stderr).toContain(`run TUTORBOARD_URL=http://127.0.0.1:${server.port} tutorboard snapshots restore lease-child ${id},`);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(leaseRows(databasePath)).toBe(0);
    const restored = await runCli(['restore', 'lease-child', String(id)], env);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toMatch(/none live on .*; working on it directly/);
    const again = await spawnServer(serverEnv);
    expect(await childBoard(again, 'lease-child')).toEqual({ keep: { kind: 'rect' } });
  });

  it('after kill -9 on this host the dead pid frees the file at once: the CLI works on it', async () => {
    const databasePath = join(tempDir(), 'tutorboard.db');
    // The default interval (5 s): on its own host a killed server does not wait for its heartbeat to lapse.
    const server = await spawnServer({ DATABASE_PATH: databasePath, JWT_SECRET: testSecret });
    await editChild(server, 'lease-kill', (doc) => doc.getMap('shapes').set('keep', { kind: 'rect' }));
    const env = { DATABASE_PATH: databasePath, JWT_PUBLIC_KEY: publicKeyOnly, TUTORBOARD_URL: await deadUrl() };
    const live = await runCli(['create', 'lease-kill'], env);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(new RegExp(`pid ${server.child.pid} .* is live on`));

    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    // The crashed server's row stays, heartbeat still fresh; its pid is gone, so it no longer counts.
    expect(leaseRows(databasePath)).toBe(1);
    expect(readLiveLeases(databasePath)).toEqual([]);
    const offline = await runCli(['create', 'lease-kill', '--json'], env);
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/none live on .*; working on it directly/);
    expect(JSON.parse(offline.stdout)).toMatchObject({ reason: 'manual' });
  });

  it.skipIf(!canUnshare)('a server on another host is refused with its host name; after kill -9 only once its heartbeat lapses', async () => {
    const databasePath = join(tempDir(), 'tutorboard.db');
    // Same file, same pid namespace, another host name: the pid cannot be checked from here.
    const otherHost = ['unshare', '--uts', 'sh', '-c', 'hostname lease-other-host && exec "$0" "$@"'];
    const server = await spawnServer({ DATABASE_PATH: databasePath, JWT_SECRET: testSecret, SERVER_LEASE_INTERVAL_MS: '2000' }, 10_000, { prefix: otherHost });
    await editChild(server, 'lease-host', (doc) => doc.getMap('shapes').set('keep', { kind: 'rect' }));
    const env = { DATABASE_PATH: databasePath, JWT_SECRET: testSecret, TUTORBOARD_URL: await deadUrl() };
    const remote = await runCli(['create', 'lease-host'], env);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/on lease-other-host, .* and runs on another host/);
    expect(remote.stderr).toContain(`run TUTORBOARD_URL=http://lease-other-host:${server.port} tutorboard snapshots create lease-host,`);

    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    await eventually(() => readLiveLeases(databasePath).length === 0, 15_000, 'the lease to lapse');
    // Not at once: only a heartbeat 3 intervals (6 s) old tells that a server elsewhere is gone.
    expect(Date.now() - killedAt).toBeGreaterThan(1_000);
    const offline = await runCli(['create', 'lease-host'], env);
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/none live on .*; working on it directly/);
  });
});
