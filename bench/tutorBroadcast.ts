/**
 * What a tutor-channel broadcast costs the server, against a minimal `ws` relay, in one run:
 *  - raw:   a bare `ws` WebSocketServer that writes every frame it receives to all other sockets,
 *  - tutor: the real tutorboard server (TutorboardServer with the TutorChannel extension):
 *           JSON validation, rate limiting, stamping (from/ts/seq), the replay ring, fan-out.
 * N clients in one room each send M messages; every message reaches the N-1 others.
 *
 *   node bench/tutorBroadcast.ts [--clients 2,10,50] [--deliveries 300000]
 *
 * Each server runs in a child process (this file, forked with --serve) so that its CPU time
 * (process.cpuUsage(), user+system, asked for over IPC) excludes the clients, which run here.
 * Clients send in rounds and wait for every delivery of a round before the next, so neither
 * side queues without bound. Loopback only; the tutor server gets a huge rate limit so that it
 * relays everything instead of dropping, and a temporary SQLite file it does not touch.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';
import { Authenticator } from '../src/auth.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { TutorboardServer } from '../src/server.ts';

type Kind = 'raw' | 'tutor';
type ToChild = { cmd: 'cpu' } | { cmd: 'stop' };
type FromChild = { port: number } | { cpu: NodeJS.CpuUsage };

const secret = 'bench-secret-that-is-long-enough-for-hs256';
const sessionId = 'bench';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    clients: { type: 'string', default: '2,10,50' },
    deliveries: { type: 'string', default: '300000' },
  },
});

// ---- server side (child process) -------------------------------------------------------------

async function serve(kind: Kind): Promise<void> {
  let stop: () => Promise<void>;
  let port: number;
  if (kind === 'raw') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        for (const other of wss.clients) if (other !== ws && other.readyState === WebSocket.OPEN) other.send(data, { binary: isBinary });
      });
    });
    port = (wss.address() as { port: number }).port;
    stop = () => new Promise((resolve) => wss.close(() => resolve()));
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'tutorboard-bench-'));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: join(dir, 'bench.db'),
      JWT_SECRET: secret,
      LOG_LEVEL: 'silent',
      TUTOR_RATE_LIMIT_PER_SECOND: '1000000',
      TUTOR_RATE_LIMIT_BURST: '1000000',
      TUTOR_MAX_BUFFERED_BYTES: String(256 * 1024 * 1024),
    });
    const server = new TutorboardServer(config, { logger: createLogger({ level: 'silent' }) });
    port = await server.listen();
    stop = async () => {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  process.on('message', (message: ToChild) => {
    switch (message.cmd) {
      case 'cpu':
        process.send!({ cpu: process.cpuUsage() } satisfies FromChild);
        return;
      case 'stop':
        void stop().then(() => process.exit(0));
        return;
      default: {
        const unreachable: never = message;
        throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  });
  process.send!({ port } satisfies FromChild);
}

// ---- client side (this process) --------------------------------------------------------------

class ServerProcess {
  private readonly child: ChildProcess;
  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static async start(kind: Kind): Promise<{ server: ServerProcess; port: number }> {
    const child = fork(fileURLToPath(import.meta.url), ['--serve', kind], { execArgv: ['--no-warnings'], stdio: 'inherit' });
    const server = new ServerProcess(child);
    const { port } = (await server.next()) as { port: number };
    return { server, port };
  }

  /** Server CPU time so far, in ms (user + system). */
  async cpuMs(): Promise<number> {
    this.child.send({ cmd: 'cpu' } satisfies ToChild);
    const { cpu } = (await this.next()) as { cpu: NodeJS.CpuUsage };
    return (cpu.user + cpu.system) / 1000;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ cmd: 'stop' } satisfies ToChild);
    await exited;
  }

  private next(): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('server process did not answer within 10 s')), 10_000);
      this.child.once('message', (message: FromChild) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }
}

interface Result {
  deliveries: number;
  wallMs: number;
  serverCpuMs: number;
}

const chatPrefix = '{"type":"chat"';

async function connect(kind: Kind, port: number, n: number): Promise<{ sockets: WebSocket[]; counts: number[] }> {
  const signer = new Authenticator({ secret });
  const counts = new Array<number>(n).fill(0);
  const sockets = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const path = kind === 'raw' ? '/' : `/ws/v2/session/${sessionId}?token=${signer.sign({ sub: `u${i}`, sid: sessionId }, 600)}`;
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
      // Only room messages count: presence and welcome frames are not the thing measured.
      ws.on('message', (data: Buffer) => {
        if (data.toString('latin1', 0, chatPrefix.length) === chatPrefix) counts[i] += 1;
      });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
  return { sockets, counts };
}

/** Every client sends `batch` messages per round; the round ends when all deliveries arrived. */
async function run(kind: Kind, n: number, rounds: number, batch: number): Promise<Result> {
  const { server, port } = await ServerProcess.start(kind);
  const { sockets, counts } = await connect(kind, port, n);
  const text = 'a typical hint: look at the second line of your working, the sign flips there';
  let sent = 0;
  const round = async () => {
    for (const ws of sockets) for (let i = 0; i < batch; i += 1) ws.send(`${chatPrefix},"text":"${text}","i":${sent++}}`);
    const target = counts.map((c) => c + (n - 1) * batch);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind}: a round did not complete within 20 s`)), 20_000);
      const check = () => {
        if (counts.every((c, i) => c >= target[i])) {
          clearTimeout(timer);
          for (const ws of sockets) ws.off('message', check);
          resolve();
        }
      };
      for (const ws of sockets) ws.on('message', check);
      check();
    });
  };
  await round(); // warm-up, not measured: JIT and socket buffers settle
  const cpuBefore = await server.cpuMs();
  const started = performance.now();
  for (let r = 0; r < rounds; r += 1) await round();
  const wallMs = performance.now() - started;
  const serverCpuMs = (await server.cpuMs()) - cpuBefore;
  for (const ws of sockets) ws.terminate();
  await server.stop();
  return { deliveries: rounds * batch * n * (n - 1), wallMs, serverCpuMs };
}

function perCpuSecond(r: Result): number {
  return r.deliveries / (r.serverCpuMs / 1000);
}

async function main(): Promise<void> {
  const sizes = values.clients.split(',').map(Number);
  const target = Number(values.deliveries);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`tutor channel broadcast cost vs a minimal ws relay (node ${process.version}, loopback)`);
  console.log('server CPU = user+system of the server child process only (clients run in the parent)\n');
  const rows: string[][] = [['clients', 'msgs/client', 'deliveries', 'raw deliv/CPU-s', 'tutor deliv/CPU-s', 'tutor/raw', 'raw wall ms', 'tutor wall ms']];
  for (const n of sizes) {
    const perRound = n * (n - 1);
    // Rounds small enough to bound queues, enough of them to measure; about `target` deliveries.
    const batch = Math.max(1, Math.min(200, Math.floor(2_000 / perRound)));
    const rounds = Math.max(5, Math.round(target / (perRound * batch)));
    const raw = await run('raw', n, rounds, batch);
    const tutor = await run('tutor', n, rounds, batch);
    rows.push([
      String(n),
      fmt(rounds * batch),
      fmt(raw.deliveries),
      fmt(perCpuSecond(raw)),
      fmt(perCpuSecond(tutor)),
      `${((perCpuSecond(tutor) / perCpuSecond(raw)) * 100).toFixed(0)} %`,
      fmt(raw.wallMs),
      fmt(tutor.wallMs),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join('  '));
}

if (values.serve === 'raw' || values.serve === 'tutor') {
  await serve(values.serve);
} else {
  await main();
}
