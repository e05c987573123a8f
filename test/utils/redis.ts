/**
 * A redis-server of its own per test, on a free port, nothing kept on disk; stopped after the
 * test. `stop()` and `start()` on the same port make an outage and a recovery (the data is gone,
 * as after a restart without persistence); `pause()` and `resume()` freeze it instead
 * (SIGSTOP/SIGCONT): connections stay open, nothing answers, the data stays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { registerCleanup } from './cleanup.ts';
import { withTimeout } from './waitFor.ts';
import { freePort } from './freePort.ts';

export const redisServerPath = process.env.REDIS_SERVER ?? 'redis-server';

export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Kills the server (its data goes with it, as after a crash with no persistence). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Freezes the process: connections stay open, nothing answers. */
  pause(): void;
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const process = spawn(redisServerPath, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = process;
    let output = '';
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        process.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Ready to accept connections')) resolve();
        });
        process.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
        process.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
        process.once('error', reject);
      }),
      10_000,
      `redis-server on port ${port}`,
    );
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    // A frozen process still dies of SIGKILL; SIGCONT first so nothing waits on it.
    running.kill('SIGCONT');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  registerCleanup(stop);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
}
