/**
 * Mistakes a newcomer makes on the first start get one line naming the variable and the value
 * to fix, not a stack trace or a raw errno.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath } from '../utils/childServer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startServer, tempDir, testSecret } from '../utils/server.ts';

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [binPath, ...args], {
    env: { ...process.env, JWT_SECRET: testSecret, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
}

function expectOneLine(result: ReturnType<typeof run>, status: number, pattern: RegExp): void {
  expect(result.status, result.stderr).toBe(status);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

/** A read-only file system (tests run as root); null where mounting is not allowed. */
function readOnlyFolder(): string | null {
  const dir = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  registerCleanup(() => execFileSync('umount', [dir]));
  return dir;
}

describe('startup errors name the fix', () => {
  it('DATABASE_PATH under a file (not a folder): names DATABASE_PATH and the folder, for serve and migrate', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'a file, not a folder');
    const path = join(dir, 'notes.txt', 'data', 'tutorboard.db');
    for (const command of ['serve', 'migrate']) {
      expectOneLine(run([command], { DATABASE_PATH: path }), 1, new RegExp(`DATABASE_PATH: cannot create the folder ${join(dir, 'notes.txt', 'data')} .*ENOTDIR`));
    }
  });

  it('DATABASE_PATH that is a folder: says so and suggests a file in it', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    expectOneLine(run(['serve'], { DATABASE_PATH: join(dir, 'data') }), 1, new RegExp(`DATABASE_PATH: ${join(dir, 'data')} is a folder; point it at a file, e\\.g\\. ${join(dir, 'data', 'tutorboard.db')}`));
  });

  it('DATABASE_PATH on a read-only file system: names DATABASE_PATH, the folder and EROFS', (context) => {
    const dir = readOnlyFolder();
    if (!dir) return context.skip('mount is not permitted here');
    expectOneLine(run(['serve'], { DATABASE_PATH: join(dir, 'tutorboard.db') }), 1, new RegExp(`DATABASE_PATH: cannot write in ${dir}: the file system is read-only \\(EROFS\\)`));
    expectOneLine(run(['migrate'], { DATABASE_PATH: join(dir, 'tutorboard.db') }), 1, /DATABASE_PATH: .*EROFS/);
  });

  it('a port in use: names PORT and the port', async () => {
    const other = await startServer();
    expectOneLine(run(['serve'], { PORT: String(other.port), DATABASE_PATH: join(tempDir(), 'x.db') }), 1, new RegExp(`PORT: port ${other.port} is already in use on 127\\.0\\.0\\.1 .*set PORT \\(or --port\\)`));
    expectOneLine(run(['serve', '--port', String(other.port)], { DATABASE_PATH: join(tempDir(), 'x.db') }), 1, /PORT: port \d+ is already in use/);
  });

  it('an unknown NODE_ENV: refused, naming NODE_ENV and the allowed values', () => {
    expectOneLine(run(['serve'], { NODE_ENV: 'prod', DATABASE_PATH: join(tempDir(), 'x.db') }), 1, /NODE_ENV: must be development, production, test or unset, got "prod"/);
  });
});
