/**
 * One benchmark server in a child process: tutorboard (the real CLI's `serve`, in production
 * mode, from the JavaScript that `npm run build` writes to dist/, with the image's environment)
 * or a baseline (bench/harness/baselineServer.mjs), each with the probe preloaded, so CPU,
 * event-loop delay and memory are read inside the server and exclude the load generator.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProbeRequest, ProbeStats } from './probeProtocol.ts';

export type ServerKind = 'tutorboard' | 'bare' | 'bare-db' | 'relay';

export const benchSecret = 'bench-secret-that-is-long-enough-for-hs256';

const probePath = fileURLToPath(new URL('./probe.mjs', import.meta.url));
const baselinePath = fileURLToPath(new URL('./baselineServer.mjs', import.meta.url));
let tutorboardRepo = fileURLToPath(new URL('../..', import.meta.url));
let fromSources = false;

/** From now on tutorboard runs from another checkout (to compare two versions with one harness). */
export function runTutorboardFrom(repo: string): void {
  tutorboardRepo = repo;
}

/** From now on tutorboard runs from its TypeScript sources (`bin/tutorboard`), not dist/. */
export function runTutorboardFromSources(): void {
  fromSources = true;
}

/** Builds dist/ of the checkout tutorboard runs from (≈1 s), so that it runs as it ships. */
export function buildTutorboard(): void {
  execFileSync(process.execPath, [join(tutorboardRepo, 'scripts/build.ts')], { cwd: tutorboardRepo, stdio: 'ignore' });
}

export interface StartOptions {
  kind: ServerKind;
  /** Folder for the server's files: `tutorboard.db` (tutorboard) or `baseline.db` (bare-db). */
  dir: string;
  /** Extra environment for tutorboard (limits for the load, say). */
  env?: Record<string, string>;
  /** Node flags, e.g. `--expose-gc` or `--cpu-prof`. */
  nodeArgs?: string[];
}

export class ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(kind: ServerKind, child: ChildProcess, port: number, exited: Promise<void>) {
    this.kind = kind;
    this.child = child;
    this.port = port;
    this.exited = exited;
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
  }

  static async start(options: StartOptions): Promise<ServerProcess> {
    const nodeArgs = ['--no-warnings', ...(options.nodeArgs ?? []), '--import', probePath];
    let child: ChildProcess;
    if (options.kind === 'tutorboard') {
      const cli = pathToFileURL(join(tutorboardRepo, 'dist/src/cli.js')).href;
      const entry = fromSources
        ? [join(tutorboardRepo, 'bin/tutorboard'), 'serve']
        : ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(cli)}); process.exit(await main(['serve']));`];
      child = spawn(process.execPath, [...nodeArgs, ...entry], {
        env: {
          ...process.env,
          NODE_ENV: 'production',
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_PATH: join(options.dir, 'tutorboard.db'),
          JWT_SECRET: benchSecret,
          LOG_LEVEL: 'info',
          LOG_PRETTY: '0',
          MAX_CONNECTIONS: '50000',
          // As the Docker image and the systemd unit in docs/operations.md run it.
          MALLOC_ARENA_MAX: '2',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } else {
      const args = [...nodeArgs, baselinePath, options.kind];
      if (options.kind === 'bare-db') args.push(join(options.dir, 'baseline.db'));
      child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let early = '';
    child.stderr!.on('data', (chunk: Buffer) => (early += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.kind} did not listen within 20 s: ${early}`)), 20_000);
      void exited.then(() => reject(new Error(`${options.kind} exited before listening: ${early}`)));
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message?.type !== 'bench:listening') return;
        clearTimeout(timer);
        resolve(message.port!);
      });
      // tutorboard announces its port in its `listening` log line; later lines are read and dropped.
      let buffered = '';
      let found = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        if (found) return;
        buffered += chunk.toString();
        const match = /"event":"listening"[^\n]*"port":(\d+)/.exec(buffered);
        if (match) {
          found = true;
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    return new ServerProcess(options.kind, child, port, exited);
  }

  /** Cumulative CPU, loop delay since the last reset (then reset when asked), memory. */
  stats(request: Omit<ProbeRequest, 'type'> = {}): Promise<ProbeStats> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.kind} did not answer the probe within 30 s: ${this.stderr}`)), 30_000);
      const onMessage = (message: ProbeStats) => {
        if (message?.type !== 'bench:stats') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'bench:stats', ...request } satisfies ProbeRequest);
    });
  }

  /** Writes a heap snapshot of the server (after a GC when it runs with --expose-gc) to `path`. */
  heapSnapshot(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.kind} did not write a heap snapshot within 120 s`)), 120_000);
      const onMessage = (message: { type?: string; path?: string }) => {
        if (message?.type !== 'bench:heapSnapshot') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message.path!);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'bench:heapSnapshot', path });
    });
  }

  /** CPU time (user + system) in ms so far. */
  async cpuMs(): Promise<number> {
    const { cpu } = await this.stats();
    return (cpu.user + cpu.system) / 1000;
  }

  /** SIGTERM: tutorboard's orderly shutdown (compaction included). Resolves once exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: a crash; whatever was acknowledged must be in storage. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
