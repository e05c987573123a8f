/**
 * Tutor channel fan-out: `rooms` rooms × `clients` sockets; in each round every socket sends
 * `batch` chat messages and the round ends when every other socket of its room has them all.
 * Compared with a raw `ws` relay (every frame to the other sockets on the same path), which
 * validates, stamps, rate-limits and keeps nothing. Measured: deliveries per second of server
 * CPU, after a warm-up round.
 */
import { WebSocket } from 'ws';
import { Authenticator } from '../../src/auth.ts';
import { benchSecret, ServerProcess, type ServerKind } from '../harness/ServerProcess.ts';

export interface TutorRoomsOptions {
  rooms: number;
  clients: number;
  rounds: number;
  batch: number;
  dir: string;
  nodeArgs?: string[];
}

export interface TutorRoomsResult extends Record<string, number> {
  deliveriesPerCpuSecond: number;
  wallMs: number;
}

const chatPrefix = '{"type":"chat"';
const signer = new Authenticator({ secret: benchSecret });

/** The tutor channel measured, not its limits: no rate limiting, large send buffers. */
export const tutorLoadEnv = {
  TUTOR_RATE_LIMIT_PER_SECOND: '1000000',
  TUTOR_RATE_LIMIT_BURST: '1000000',
  TUTOR_MAX_BUFFERED_BYTES: String(256 * 1024 * 1024),
  MAX_CONNECTIONS_PER_SESSION: '1000',
};

export async function tutorRooms(kind: ServerKind, options: TutorRoomsOptions): Promise<TutorRoomsResult> {
  const server = await ServerProcess.start({ kind, dir: options.dir, nodeArgs: options.nodeArgs, env: tutorLoadEnv });
  const total = options.rooms * options.clients;
  const counts = new Array<number>(total).fill(0);
  const sockets = await Promise.all(
    Array.from({ length: total }, (_, i) => {
      const room = `room-${Math.floor(i / options.clients)}`;
      const path = kind === 'relay' ? `/${room}` : `/ws/v2/session/${room}?token=${signer.sign({ sub: `u${i}`, sid: room }, 3600)}`;
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { perMessageDeflate: false });
      // Only room messages count: presence and welcome frames are not what is measured.
      ws.on('message', (data: Buffer) => {
        if (data.toString('latin1', 0, chatPrefix.length) === chatPrefix) counts[i] += 1;
      });
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
  const text = 'a typical hint: look at the second line of your working, the sign flips there';
  let sent = 0;
  const perRound = (options.clients - 1) * options.batch;
  const round = async () => {
    const target = counts.map((c) => c + perRound);
    for (const ws of sockets) for (let b = 0; b < options.batch; b += 1) ws.send(`${chatPrefix},"text":"${text}","i":${sent++}}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind}: a round did not complete within 30 s`)), 30_000);
      const check = () => {
        if (!counts.every((c, i) => c >= target[i])) return;
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      };
      const poll = setInterval(check, 2);
      check();
    });
  };
  await round();
  const before = await server.cpuMs();
  const started = performance.now();
  for (let r = 0; r < options.rounds; r += 1) await round();
  const wallMs = performance.now() - started;
  const cpuMs = (await server.cpuMs()) - before;
  for (const ws of sockets) ws.terminate();
  await server.stop();
  return { deliveriesPerCpuSecond: (options.rounds * total * perRound) / (cpuMs / 1000), wallMs };
}
