import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { board, deadUrl, edit, editor, runCli } from './helpers.ts';
import { docMatches } from '../utils/provider.ts';
import { startServer, tempDir, testSecret, type TestServer } from '../utils/server.ts';

function cliEnv(t: TestServer, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_PATH: t.databasePath, JWT_SECRET: testSecret, TUTORBOARD_URL: t.baseUrl, ...extra };
}

// Each test runs the real CLI many times (a process each): on a loaded 2-core machine that takes a while.
describe('tutorboard snapshots (CLI)', { timeout: 90_000 }, () => {
  it('creates, lists, shows, exports, restores and deletes through the running server', async () => {
    const t = await startServer();
    const env = cliEnv(t);
    const a = await editor(t, 'cli-1');
    await edit(a, (doc) => {
      doc.getMap('shapes').set('s1', { kind: 'circle' });
      doc.getText('title').insert(0, 'Fractions');
    });

    const created = await runCli(['create', 'cli-1', '--label', 'before quiz', '--json'], env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const meta = JSON.parse(created.stdout);
    expect(meta).toMatchObject({ reason: 'manual', label: 'before quiz', createdBy: expect.stringMatching(/^cli/) });

    const list = await runCli(['list', 'cli-1'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+CREATED\s+REASON\s+BY\s+SIZE\s+LABEL\n/);
    expect(list.stdout).toMatch(new RegExp(`^${meta.id}\\s.*manual.*before quiz$`, 'm'));
    expect(JSON.parse((await runCli(['list', 'cli-1', '--json'], env)).stdout)).toEqual([meta]);

    const shown = await runCli(['show', 'cli-1', String(meta.id)], env);
    expect(shown.stdout).toMatch(/^label\s+before quiz$/m);
    expect(shown.stdout).toMatch(/^shapes\s+map\s+1$/m);
    expect(JSON.parse((await runCli(['show', 'cli-1', String(meta.id), '--json'], env)).stdout).summary).toContainEqual({ name: 'title', kind: 'text', size: 9 });

    const jsonFile = join(t.dir, 'export.json');
    expect((await runCli(['export', 'cli-1', String(meta.id), '--format', 'json', '--out', jsonFile], env)).code).toBe(0);
    expect(JSON.parse(readFileSync(jsonFile, 'utf8'))).toEqual({ shapes: { s1: { kind: 'circle' } }, title: 'Fractions' });
    const yjs = await runCli(['export', 'cli-1', String(meta.id), '--format', 'yjs'], env);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(yjs.bytes));
    expect(copy.getText('title').toString()).toBe('Fractions');

    await edit(a, (doc) => {
      doc.getMap('shapes').clear();
      doc.getText('title').delete(0, 9);
    });
    const restored = await runCli(['restore', 'cli-1', String(meta.id)], env);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`restored cli-1 to snapshot ${meta.id}; undo with: tutorboard snapshots restore cli-1 \\d+`));
    await docMatches(a.document, () => board(a.document).title === 'Fractions', 10_000);
    expect(a.document.getMap('shapes').toJSON()).toEqual({ s1: { kind: 'circle' } });

    expect((await runCli(['delete', 'cli-1', String(meta.id)], env)).stdout).toBe(`deleted snapshot ${meta.id} of cli-1\n`);
    expect(JSON.parse((await runCli(['list', 'cli-1', '--json'], env)).stdout).map((s: { reason: string }) => s.reason)).toEqual(['pre-restore']);
  });

  it('fails with one line and a documented exit code', async () => {
    const t = await startServer();
    const env = cliEnv(t);
    const a = await editor(t, 'cli-2');
    await edit(a, (doc) => doc.getArray('strokes').push(['x']));
    const cases: Array<[string[], number, RegExp, Record<string, string>?]> = [
      [[], 2, /expected one of list, show/],
      [['frob', 'cli-2'], 2, /expected one of/],
      [['show', 'cli-2'], 2, /show takes SESSION ID/],
      [['show', 'cli-2', 'abc'], 2, /snapshot id must be a positive whole number/],
      [['list', 'bad id!'], 2, /sessionId must match/],
      [['export', 'cli-2', '1'], 2, /--format json or --format yjs/],
      [['list', 'cli-2', '--bogus'], 2, /bogus/],
      [['show', 'cli-2', '999'], 4, /no snapshot 999 in session "cli-2"/],
      [['restore', 'cli-2', '999'], 4, /no snapshot 999/],
      [['list', 'nobody'], 4, /no whiteboard or snapshots for session "nobody"/],
      [['list', 'cli-2'], 3, /server refused the CLI's token/, { JWT_SECRET: 'a-different-secret-that-is-long-enough!!' }],
      [['list', 'cli-2'], 1, /invalid configuration: TUTORBOARD_URL/, { TUTORBOARD_URL: 'ftp://nope' }],
    ];
    const results = await Promise.all(cases.map(([args, , , extra]) => runCli(args, { ...env, ...extra })));
    cases.forEach(([args, code, message], n) => {
      expect({ args, code: results[n].code }).toEqual({ args, code });
      expect(results[n].stderr).toMatch(message);
      expect(results[n].stderr.trim().split('\n')).toHaveLength(1);
    });
  });

  it('with no server running, restores into the database file; the next start serves the restored content', async () => {
    const first = await startServer();
    const a = await editor(first, 'cli-offline');
    await edit(a, (doc) => {
      doc.getMap('shapes').set('keep', { kind: 'rect' });
      doc.getArray('strokes').push(['s1']);
    });
    const env = cliEnv(first);
    const meta = JSON.parse((await runCli(['create', 'cli-offline', '--json'], env)).stdout);
    await edit(a, (doc) => {
      doc.getMap('shapes').set('junk', { kind: 'scribble' });
      doc.getArray('strokes').delete(0, 1);
    });
    a.destroy();
    await first.stop();

    const offline = { ...env, TUTORBOARD_URL: await deadUrl() };
    const restored = await runCli(['restore', 'cli-offline', String(meta.id), '--json'], offline);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toMatch(/no server at .*; working on .* directly/);
    const { preRestoreSnapshotId } = JSON.parse(restored.stdout);
    const listed = JSON.parse((await runCli(['list', 'cli-offline', '--json'], offline)).stdout);
    expect(listed[0]).toMatchObject({ id: preRestoreSnapshotId, reason: 'pre-restore' });

    const second = await startServer({}, { dir: first.dir });
    const reader = await editor(second, 'cli-offline');
    expect(board(reader.document)).toEqual({ shapes: { keep: { kind: 'rect' } }, strokes: ['s1'], title: '' });
  });
});

describe('tutorboard snapshots: what the CLI says', () => {
  it('a restore that changes nothing says so instead of offering the snapshot itself as the undo', async () => {
    const t = await startServer();
    const env = cliEnv(t);
    const a = await editor(t, 'same');
    await edit(a, (doc) => doc.getMap('shapes').set('s1', { kind: 'square' }));
    const meta = JSON.parse((await runCli(['create', 'same', '--json'], env)).stdout);
    const restored = await runCli(['restore', 'same', String(meta.id)], env);
    expect(restored).toMatchObject({ code: 0, stdout: `nothing changed: same already equals snapshot ${meta.id}\n` });
    expect(JSON.parse((await runCli(['restore', 'same', String(meta.id), '--json'], env)).stdout)).toEqual({
      restoredFrom: meta.id,
      preRestoreSnapshotId: meta.id,
      changed: false,
    });
    await edit(a, (doc) => doc.getMap('shapes').clear());
    expect(JSON.parse((await runCli(['restore', 'same', String(meta.id), '--json'], env)).stdout)).toMatchObject({ changed: true });
  }, 60_000); // four CLI processes in a row: seconds each on a loaded machine

  it('run where the development secret is not (another folder): says where it looked, creates nothing, never blames JWT_SECRET', async () => {
    const t = await startServer();
    const elsewhere = tempDir();
    const env = { DATABASE_PATH: join(elsewhere, 'data', 'tutorboard.db'), JWT_SECRET: '', TUTORBOARD_URL: t.baseUrl };
    const missing = await runCli(['list', 'lesson'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain(`no development secret at ${join(elsewhere, 'data', 'dev-jwt-secret')}`);
    expect(existsSync(join(elsewhere, 'data'))).toBe(false);

    // A development secret that is not the server's: the refusal names it, not JWT_SECRET.
    mkdirSync(join(elsewhere, 'data'));
    writeFileSync(join(elsewhere, 'data', 'dev-jwt-secret'), `${'x'.repeat(48)}\n`);
    const refused = await runCli(['list', 'lesson'], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused a token signed with the development secret .*dev-jwt-secret: it is not the server's/);
    expect(refused.stderr).not.toMatch(/does JWT_SECRET match/);
  }, 60_000);
});
