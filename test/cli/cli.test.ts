import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { binPath, spawnServer } from '../utils/childServer.ts';
import { newProvider, synced } from '../utils/provider.ts';
import { tempDir, testSecret } from '../utils/server.ts';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

// Every test runs the real CLI (a process each): slow on a loaded 2-core machine.
describe('tutorboard CLI', { timeout: 60_000 }, () => {
  it('prints help for the program and each command', () => {
    expect(run(['--help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/serve[\s\S]*migrate[\s\S]*token/) });
    expect(run(['token', '--help'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/--sub USER --session SESSION/) });
    expect(run(['serve', '--help']).status).toBe(0);
  });

  it('fails with one clear line for unknown commands, options and missing arguments', () => {
    const unknown = run(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(run(['token', '--bogus']).status).toBe(2);
    const missing = run(['token', '--session', 's'], { JWT_SECRET: testSecret });
    expect(missing).toMatchObject({ status: 2, stderr: expect.stringMatching(/--sub is required/) });
    expect(run(['token', '--sub', 'u', '--session', 's', '--role', 'king'], { JWT_SECRET: testSecret }).stderr).toMatch(/--role must be one of/);
    expect(run(['token', '--sub', 'u', '--session', 's', '--ttl', 'forever'], { JWT_SECRET: testSecret }).stderr).toMatch(/invalid duration/);
  });

  it('mints a token that the configured key verifies, with role and ttl', () => {
    const result = run(['token', '--sub', 'ada', '--session', 'lesson-9', '--role', 'tutor', '--ttl', '15m'], { JWT_SECRET: testSecret });
    expect(result.status).toBe(0);
    const principal = new Authenticator({ secret: testSecret }).verify(result.stdout.trim());
    expect(principal).toEqual({ userId: 'ada', sessionScope: 'lesson-9', role: 'tutor' });
    const [, payload] = result.stdout.trim().split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(900);
  });

  it('refuses to start in production without a key, naming the variable', () => {
    const result = spawnSync(process.execPath, [binPath, 'serve'], {
      env: { ...process.env, NODE_ENV: 'production', JWT_SECRET: '', DATABASE_PATH: join(tempDir(), 'x.db') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET/);
  });

  it('refuses a short JWT_SECRET', () => {
    const result = run(['serve'], { JWT_SECRET: 'too-short', DATABASE_PATH: join(tempDir(), 'x.db') });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET: must be at least 32 characters/);
  });

  it('in development generates a secret once, keeps it, prints a working token and URL on stderr, never in the log stream', async () => {
    const dir = tempDir();
    const env = { DATABASE_PATH: join(dir, 'data', 'tutorboard.db'), JWT_SECRET: '', NODE_ENV: 'development' };
    const server = await spawnServer(env);
    const secretPath = join(dir, 'data', 'dev-jwt-secret');
    expect(existsSync(secretPath)).toBe(true);
    expect(statSync(secretPath).mode & 0o777).toBe(0o600);
    const [, token] = await server.errorOutput(/Development token[^\n]*\n\s*(\S+)/);
    expect(server.stderr()).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/ws\/v2\/session\/demo\/whiteboard/);
    await server.output(/"level":"warn"[^\n]*"event":"dev_secret"/);
    // stdout is the log stream: JSON lines only, the first one saying which mode runs, and no token.
    expect(server.lines[0]).toMatchObject({ event: 'starting', mode: 'development', msg: expect.stringMatching(/development mode/) });
    expect(server.lines.filter((line) => 'raw' in line)).toEqual([]);
    expect(server.stdout()).not.toContain(token);
    const provider = newProvider({ url: `ws://127.0.0.1:${server.port}/ws/v2/session/demo/whiteboard`, name: 'demo', token });
    await synced(provider);
    // The same secret signs CLI tokens, and survives a restart.
    const minted = run(['token', '--sub', 'x', '--session', 'demo'], env);
    expect(new Authenticator({ secret: readFileSync(secretPath, 'utf8').trim() }).verify(minted.stdout.trim()).userId).toBe('x');
  });

  it('in production says so in the first log line and prints no banner', async () => {
    const server = await spawnServer({ DATABASE_PATH: join(tempDir(), 'x.db'), JWT_SECRET: testSecret, NODE_ENV: 'production' });
    expect(server.lines[0]).toMatchObject({ event: 'starting', mode: 'production' });
    expect(server.stderr()).toBe('');
  });

  it('token, run where no development secret exists, says where it looked and creates none', () => {
    const dir = tempDir();
    const result = run(['token', '--sub', 'ada', '--session', 'demo'], { DATABASE_PATH: join(dir, 'data', 'tutorboard.db'), JWT_SECRET: '' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`no development secret at ${join(dir, 'data', 'dev-jwt-secret')}`);
    expect(result.stderr).toMatch(/DATABASE_PATH/);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
