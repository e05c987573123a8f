/**
 * The classroom mix: `boards` boards × `clients` clients. On every board one client draws (an
 * update at `writerHz`, a pen stroke) and every client moves its cursor (an awareness update at
 * `cursorHz`). Measured over a window after a warm-up: the server's CPU (share of one core),
 * the update latency from the writer's send to each other client's receipt (p50/p99), and the
 * longest event-loop block inside the server.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as Y from 'yjs';
import { boardAddress, connectAll, encodeFrame, LightClient } from '../harness/LightClient.ts';
import { ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';
import { percentile, sleep } from '../harness/stats.ts';

export interface ClassroomOptions {
  boards: number;
  clients: number;
  writerHz: number;
  cursorHz: number;
  warmupMs: number;
  measureMs: number;
  dir: string;
  nodeArgs?: string[];
  /** Extra environment for tutorboard. */
  env?: Record<string, string>;
}

export interface ClassroomResult extends Record<string, number> {
  /** Server CPU as a share of one core, in %. */
  cpuPercent: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Longest event-loop block inside the server during the window. */
  loopMaxMs: number;
  /** The load generator's own loop delay p99: large means the clients, not the server, lag. */
  clientLoopP99Ms: number;
  samples: number;
  awarenessPerSecond: number;
}

const marker = Buffer.from('~seq:');

export async function classroom(kind: ServerKind, options: ClassroomOptions): Promise<ClassroomResult> {
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: options.nodeArgs, env: options.env });
  const sentAt = new Map<number, number>();
  let latencies: number[] = [];
  let awareness = 0;
  const receive = (data: Buffer, body: number) => {
    const now = performance.now();
    // A flush window may merge several strokes into one update: read every marker.
    for (let at = data.indexOf(marker, body); at !== -1; at = data.indexOf(marker, at + marker.length)) {
      const end = data.indexOf(0x7e, at + marker.length);
      const sent = sentAt.get(Number(data.toString('latin1', at + marker.length, end)));
      if (sent !== undefined) latencies.push(now - sent);
    }
  };
  const clients: LightClient[] = await connectAll(
    (i) => {
      const board = `board-${Math.floor(i / options.clients)}`;
      const writer = i % options.clients === 0;
      return new LightClient(boardAddress(kind, server.port, board, `user-${i}`), {
        onUpdate: writer ? undefined : receive,
        onAwareness: () => (awareness += 1),
      });
    },
    options.boards * options.clients,
    100,
  );

  const timers: NodeJS.Timeout[] = [];
  let seq = 0;
  for (let b = 0; b < options.boards; b += 1) {
    const writer = clients[b * options.clients];
    const doc = new Y.Doc();
    const strokes = doc.getArray('strokes');
    let pending: Uint8Array | undefined;
    doc.on('update', (update: Uint8Array) => (pending = update));
    const draw = () => {
      const n = seq++;
      strokes.push([{ id: `~seq:${n}~`, points: Array.from({ length: 24 }, (_, k) => (n * 7 + k * 13) % 1000) }]);
      sentAt.set(n, performance.now());
      writer.send(encodeFrame.update(writer.key, pending!));
    };
    timers.push(setTimeout(() => timers.push(setInterval(draw, 1000 / options.writerHz)), Math.random() * (1000 / options.writerHz)));
  }
  clients.forEach((client, i) => {
    const clientId = 1_000_000 + i;
    let clock = 0;
    const name = `Student ${i}`;
    const move = () => {
      clock += 1;
      const state = `{"user":{"name":"${name}","color":"#e67e22"},"cursor":{"x":${(clock * 37) % 1920},"y":${(clock * 91) % 1080}}}`;
      client.send(encodeFrame.awareness(client.key, clientId, clock, state));
    };
    timers.push(setTimeout(() => timers.push(setInterval(move, 1000 / options.cursorHz)), Math.random() * (1000 / options.cursorHz)));
  });

  await sleep(options.warmupMs);
  const clientLoop = monitorEventLoopDelay({ resolution: 5 });
  clientLoop.enable();
  const before = await server.stats({ reset: true });
  const started = performance.now();
  latencies = [];
  awareness = 0;
  await sleep(options.measureMs);
  const after = await server.stats({ reset: true });
  const wallMs = performance.now() - started;
  clientLoop.disable();
  const received = latencies;
  const awarenessCount = awareness;
  for (const timer of timers) clearInterval(timer);
  for (const client of clients) client.close();
  await server.stop();
  const cpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
  return {
    cpuPercent: (cpuMs / wallMs) * 100,
    p50Ms: percentile(received, 50),
    p99Ms: percentile(received, 99),
    maxMs: percentile(received, 100),
    loopMaxMs: after.loop.maxMs,
    clientLoopP99Ms: Math.max(0, clientLoop.percentile(99) / 1e6 - 5),
    samples: received.length,
    awarenessPerSecond: awarenessCount / (wallMs / 1000),
  };
}
