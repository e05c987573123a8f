/**
 * A real redis-server of the test's own on a free port (no persistence), stopped after the test.
 * `stop()` then `start()` on the same port simulates an outage (the data is gone, as after a
 * restart without persistence); `pause()`/`resume()` freeze it instead (SIGSTOP/SIGCONT), an
 * outage that keeps the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { registerCleanup } from './cleanup.ts';
import { withTimeout } from './waitFor.ts';

export const redisServerPath = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface TestRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL) and waits until its port refuses connections. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Freezes the process: connections stay open, nothing answers. */
  pause(): void;
  resume(): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const current = spawn(redisServerPath, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = current;
    current.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    current.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) => current.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`))));
    const ready = new Promise<void>((resolve) => {
      const check = () => {
        if (!/Ready to accept connections/.test(output)) return;
        current.stdout!.off('data', check);
        resolve();
      };
      current.stdout!.on('data', check);
      check();
    });
    await withTimeout(Promise.race([ready, exited]), 10_000, `redis-server on port ${port}`);
  };

  const stop = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGCONT');
    current.kill('SIGKILL');
    await withTimeout(exited, 5_000, 'redis-server to exit');
    if (await accepts(port)) throw new Error(`port ${port} still accepts connections after redis-server stopped`);
  };

  await start();
  registerCleanup(stop);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
