/**
 * Issue 9: `tutorboard serve | head`, `| true`, a log shipper that dies. With stdout (and stderr)
 * closed the server froze (development mode: main thread in Atomics.wait) or ignored SIGTERM
 * (pretty logs: pino's worker died with its stdout and the exit flush waited for it forever).
 * The real CLI runs here with its output read by a reader that goes away after the first chunk.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { binPath } from '../utils/childServer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { refusedUpgrade, tutorSocket } from '../utils/tutorSocket.ts';
import { withTimeout } from '../utils/waitFor.ts';
import { freePort } from '../utils/freePort.ts';

async function health(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
  return response.status;
}

interface Reader {
  /** `first-chunk`: reads one chunk and leaves (`| head -1`); `never`: gone before anything is written (`| true`). */
  leaves: 'first-chunk' | 'never';
  closeStderr: boolean;
}

const cases: Array<[string, Record<string, string>, Reader]> = [
  ['JSON lines, | head -1', { LOG_PRETTY: '0' }, { leaves: 'first-chunk', closeStderr: false }],
  ['pretty lines, | head -1', { LOG_PRETTY: '1' }, { leaves: 'first-chunk', closeStderr: false }],
  ['JSON lines, development mode (banner on stdout), | true, stderr closed too', { LOG_PRETTY: '0', JWT_SECRET: '' }, { leaves: 'never', closeStderr: true }],
  ['pretty lines, development mode, | head -1, stderr closed too', { LOG_PRETTY: '1', JWT_SECRET: '' }, { leaves: 'first-chunk', closeStderr: true }],
];

describe('a server whose stdout reader goes away', () => {
  it.each(cases)('%s: keeps serving and exits 0 on SIGTERM', async (_name, modeEnv, { leaves, closeStderr }) => {
    const port = await freePort();
    const dir = tempDir();
    const child = spawn(process.execPath, [binPath, 'serve'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_PATH: join(dir, 'tutorboard.db'),
        JWT_SECRET: testSecret,
        // Every request logs a line: plenty of writes into the closed pipe.
        LOG_LEVEL: 'debug',
        SHUTDOWN_TIMEOUT_MS: '3000',
        NODE_ENV: 'development',
        ...modeEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    registerCleanup(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });

    if (leaves === 'first-chunk') await withTimeout(new Promise((resolve) => child.stdout!.once('data', resolve)), 10_000, 'the first output');
    child.stdout!.destroy();
    if (closeStderr) child.stderr!.destroy();
    else child.stderr!.resume();

    await vi.waitFor(async () => expect(await health(port)).toBe(200), { timeout: 10_000, interval: 100 });
    // Traffic that logs at every level after the reader is gone: requests, a refused upgrade, a tutor join and leave.
    const signer = new Authenticator({ secret: testSecret });
    for (let i = 0; i < 50; i += 1) await fetch(`http://127.0.0.1:${port}/nope-${i}`, { signal: AbortSignal.timeout(2_000) });
    if (modeEnv.JWT_SECRET !== '') {
      expect((await refusedUpgrade(`ws://127.0.0.1:${port}/ws/v2/session/s?token=garbage`)).status).toBe(401);
      const { socket } = await tutorSocket(`ws://127.0.0.1:${port}/ws/v2/session/s?token=${signer.sign({ sub: 'u', sid: 's' }, 600)}`);
      socket.ws.close();
      await socket.waitForClose();
    }
    expect(await health(port)).toBe(200);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    expect(await withTimeout(exited, 10_000, 'the server to exit after SIGTERM')).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
  }, 40_000);
});
