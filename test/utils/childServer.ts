/**
 * Runs the real CLI (`node bin/tutorboard serve`) in a child process, for tests that must kill
 * the process (kill -9) or send it signals. The port comes from its `listening` log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerCleanup } from './cleanup.ts';
import { withTimeout } from './waitFor.ts';

export const binPath = fileURLToPath(new URL('../../bin/tutorboard', import.meta.url));

export interface ChildServer {
  child: ChildProcess;
  port: number;
  lines: Array<Record<string, unknown>>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Resolves with the first match of `pattern` in stdout, waiting for more output as needed. */
  output(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** The same for stderr. */
  errorOutput(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
}

export interface SpawnOptions {
  /** Arguments to `tutorboard serve` (flags such as `--port`). */
  args?: string[];
  /** Runs the server through a program that execs it in the same process, e.g. `unshare --uts …` for a hostname of its own. */
  prefix?: string[];
  /** Node flags before the script, e.g. `--expose-gc`. */
  nodeArgs?: string[];
  /** Opens an IPC channel to the child (see test/utils/memoryProbe.ts). */
  ipc?: boolean;
}

export async function spawnServer(env: Record<string, string>, ms = 10_000, options: SpawnOptions = {}): Promise<ChildServer> {
  const [program, ...rest] = [...(options.prefix ?? []), process.execPath, ...(options.nodeArgs ?? []), binPath, 'serve', ...(options.args ?? [])];
  const child = spawn(program, rest, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_PRETTY: '0', ...env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const lines: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  registerCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const parts = out.split('\n');
        for (const line of parts.slice(lines.length, -1)) {
          let parsed: Record<string, unknown> = { raw: line };
          try {
            parsed = JSON.parse(line);
          } catch {}
          lines.push(parsed);
          if (parsed.event === 'listening') resolve(parsed.port as number);
        }
      });
      void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${err}`)));
    }),
    ms,
    'child server to listen',
  );
  const waitFor = (stream: NodeJS.ReadableStream, text: () => string, pattern: RegExp, within: number) =>
    withTimeout(
      new Promise<RegExpExecArray>((resolve) => {
        const check = () => {
          const match = pattern.exec(text());
          if (!match) return false;
          stream.off('data', check);
          resolve(match);
          return true;
        };
        if (!check()) stream.on('data', check);
      }),
      within,
      `output matching ${pattern}`,
    );
  const output = (pattern: RegExp, within = 5_000) => waitFor(child.stdout!, () => out, pattern, within);
  const errorOutput = (pattern: RegExp, within = 5_000) => waitFor(child.stderr!, () => err, pattern, within);
  return { child, port, lines, stdout: () => out, stderr: () => err, exited, output, errorOutput };
}
