/**
 * The README's "Scaling out" walkthrough, step by step: `tutorboard migrate` on PostgreSQL, two
 * `tutorboard serve` processes sharing it and one Redis, and HAProxy with docs/cluster/haproxy.cfg
 * (only its ports changed to free ones) in front. Clients that only know the balancer's address
 * land on both instances and share one board.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { binPath, spawnServer } from '../utils/childServer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { createTestDatabase } from '../utils/postgres.ts';
import { docMatches, newProvider, synced } from '../utils/provider.ts';
import { startRedis } from '../utils/redis.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { eventually } from '../utils/waitFor.ts';
import { freePort } from '../utils/freePort.ts';

const haproxyConfig = new URL('../../docs/cluster/haproxy.cfg', import.meta.url);

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('README: scaling out', () => {
  it('migrate, two instances, HAProxy in front: clients on both instances share one board', async () => {
    const [database, redis] = await Promise.all([createTestDatabase(), startRedis()]);
    const env = { NODE_ENV: 'production', JWT_SECRET: testSecret, DATABASE_URL: database.url, REDIS_URL: redis.url };

    const migrated = await run(['migrate'], env);
    expect(migrated).toMatchObject({ code: 0, stdout: expect.stringMatching(/^applied migrations 1, 2, 3, 4 to postgres:/) });
    expect((await run(['migrate'], env)).stdout).toMatch(/is up to date/);

    const a = await spawnServer({ ...env, INSTANCE_ID: 'a' }, 20_000);
    const b = await spawnServer({ ...env, INSTANCE_ID: 'b' }, 20_000);
    const front = await freePort();
    const config = readFileSync(haproxyConfig, 'utf8')
      .replace('bind 127.0.0.1:8080', `bind 127.0.0.1:${front}`)
      .replace('127.0.0.1:3001', `127.0.0.1:${a.port}`)
      .replace('127.0.0.1:3002', `127.0.0.1:${b.port}`);
    const configPath = join(tempDir(), 'haproxy.cfg');
    writeFileSync(configPath, config);
    const haproxy = spawn('haproxy', ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let haproxyErrors = '';
    haproxy.stderr.on('data', (chunk: Buffer) => (haproxyErrors += chunk.toString()));
    const haproxyExited = new Promise((resolve) => haproxy.once('exit', resolve));
    registerCleanup(async () => {
      haproxy.kill('SIGKILL');
      await haproxyExited;
    });
    const base = `http://127.0.0.1:${front}`;
    await eventually(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 10_000, `HAProxy answers /ready (${haproxyErrors})`);

    const token = new Authenticator({ secret: testSecret }).sign({ sub: 'tutor', sid: 'algebra', role: 'tutor' }, 600);
    const url = `ws://127.0.0.1:${front}/ws/v2/session/algebra/whiteboard`;
    const providers = [0, 1, 2, 3].map(() => newProvider({ url, name: 'algebra', token }));
    await Promise.all(providers.map((p) => synced(p, 10_000)));
    const connected = (instance: typeof a) => instance.lines.filter((l) => l.event === 'connect' && l.type === 'whiteboard').length;
    expect(connected(a)).toBeGreaterThan(0);
    expect(connected(b)).toBeGreaterThan(0);

    providers.forEach((p, i) => p.document.getMap('shapes').set(`p${i}`, i));
    for (const p of providers) await docMatches(p.document, () => p.document.getMap('shapes').size === 4, 10_000);
  });
});
