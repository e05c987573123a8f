/**
 * `tutorboard serve` flags and help: the common variables as flags, every variable in --help.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../src/configVariables.ts';
import { binPath, spawnServer } from '../utils/childServer.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { freePort } from '../utils/freePort.ts';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [binPath, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 15_000 });
}

describe('tutorboard serve', () => {
  it('--port, --host and --database override PORT, HOST and DATABASE_PATH', async () => {
    const port = await freePort();
    const database = join(tempDir(), 'flags.db');
    const server = await spawnServer({ JWT_SECRET: testSecret, PORT: '1', HOST: '0.0.0.0' }, 10_000, { args: ['--port', String(port), '--host', '127.0.0.1', '--database', database] });
    expect(server.port).toBe(port);
    expect(server.lines.find((l) => l.event === 'listening')).toMatchObject({ host: '127.0.0.1', databasePath: database });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('answers a bad flag value or an unknown flag with one usage line (exit 2)', () => {
    const bad = run(['serve', '--port', 'eighty']);
    expect(bad).toMatchObject({ status: 2, stderr: 'tutorboard serve: --port must be a whole number, got "eighty"\n' });
    const unknown = run(['serve', '--prot', '1234']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help lists every environment variable with its default', () => {
    const help = run(['serve', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tutorboard serve \[--port N\] \[--host ADDRESS\] \[--database FILE\]/);
    for (const variable of configVariables) {
      expect(help.stdout).toMatch(new RegExp(`^  ${variable.name} +${variable.default.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S`, 'm'));
    }
    expect(help.stdout).toMatch(/^ {2}PORT +1234 /m);
  });
});
