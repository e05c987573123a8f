/**
 * What tutor replay keeps in memory after a flood of large messages, and for how long after
 * everyone left (issue 8: "40 busy rooms hold +550 MB for two minutes").
 *
 *   node bench/replayMemory.ts [--repo DIR] [--rooms 40] [--messages 200] [--size 65436] [--wait-ms 150000]
 *
 * Runs `DIR/bin/tutorboard serve` (default: this checkout; pass another checkout to compare)
 * with its default configuration in a child with `--expose-gc` and test/utils/memoryProbe.ts,
 * which answers with heap + external bytes after a full GC. Each room gets two (or more) sockets
 * that share `--messages` frames of `--size` characters of text (default: just under
 * TUTOR_MAX_MESSAGE_BYTES; within the default burst of 100), then everyone leaves. Memory is read at the baseline, with the rooms busy,
 * 1 s and 20 s after the last socket left, and once the server reports no tutor room left
 * (polled on /metrics, at most `--wait-ms`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { Authenticator } from '../src/auth.ts';
import { measureMemory, memoryProbePath } from '../test/utils/memoryProbe.ts';

const { values } = parseArgs({
  options: {
    repo: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
    rooms: { type: 'string', default: '40' },
    messages: { type: 'string', default: '200' },
    size: { type: 'string', default: String(64 * 1024 - 100) },
    'wait-ms': { type: 'string', default: '150000' },
  },
});
const rooms = Number(values.rooms);
// The rate limit's default burst is 100 frames per socket, the closing ping included.
const socketsPerRoom = Math.max(2, Math.ceil(Number(values.messages) / 99));
const perSocket = Math.ceil(Number(values.messages) / socketsPerRoom);
const secret = 'bench-secret-that-is-long-enough-for-hs256';
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'tutorboard-replay-bench-'));
const child = spawn(process.execPath, ['--expose-gc', '--import', memoryProbePath, join(resolve(values.repo!), 'bin/tutorboard'), 'serve'], {
  env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'db.sqlite'), JWT_SECRET: secret, LOG_LEVEL: 'info', LOG_PRETTY: '0' },
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});

async function main(): Promise<void> {
  const port = await listeningPort();
  const mib = async () => (await measureMemory(child, 60_000)).retained / MiB;
  const rows: Array<[string, number]> = [];
  const baseline = await mib();
  rows.push(['baseline', baseline]);

  const signer = new Authenticator({ secret });
  const text = 'x'.repeat(Number(values.size));
  const sockets: WebSocket[] = [];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: rooms * socketsPerRoom }, async (_, i) => {
      const session = `room-${i % rooms}`;
      const token = signer.sign({ sub: `flooder-${i}`, sid: session }, 3600);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/v2/session/${session}?token=${token}`);
      sockets.push(ws);
      await new Promise((r) => ws.once('open', r));
      const pong = new Promise<void>((r, reject) => {
        ws.on('message', (data) => {
          const text = String(data);
          if (text.startsWith('{"type":"pong"')) r();
          if (text.startsWith('{"type":"error"')) reject(new Error(`the server refused a frame: ${text}`));
        });
        ws.once('close', (code) => reject(new Error(`the server closed a socket with ${code}`)));
      });
      // Addressed to nobody present: kept for replay, delivered to no one, so the flood measures the
      // replay and not the sockets' send buffers (and no socket is cut as a slow consumer).
      for (let n = 0; n < perSocket; n += 1) ws.send(JSON.stringify({ type: 'chat', to: 'absent-user', text }));
      ws.send('{"type":"ping"}');
      await pong;
    }),
  );
  const sentMiB = (rooms * socketsPerRoom * perSocket * Number(values.size)) / MiB;
  console.log(
    `sent ${sentMiB.toFixed(0)} MiB in ${rooms} rooms (${rooms * socketsPerRoom} sockets, ${perSocket * socketsPerRoom} messages per room) in ${Date.now() - started} ms`,
  );
  rows.push(['rooms busy', await mib()]);
  rows.push(['replay bytes (metric)', ((await metric(port, 'tutorboard_tutor_replay_bytes')) ?? NaN) / MiB]);

  await Promise.all(sockets.map((ws) => new Promise((r) => (ws.once('close', r), ws.close()))));
  const left = Date.now();
  await sleep(1_000);
  rows.push(['1 s after everyone left', await mib()]);
  await sleep(19_000);
  rows.push(['20 s after everyone left', await mib()]);
  let roomsLeft = await metric(port, 'tutorboard_tutor_rooms');
  while ((roomsLeft ?? 0) > 0 && Date.now() - left < Number(values['wait-ms'])) {
    await sleep(1_000);
    roomsLeft = await metric(port, 'tutorboard_tutor_rooms');
  }
  rows.push([roomsLeft === 0 ? `no room left (${((Date.now() - left) / 1000).toFixed(0)} s after)` : `${roomsLeft} rooms still there`, await mib()]);

  console.log(`\n${values.repo}\n| point | heap + external after GC, MiB | vs baseline |\n| --- | ---: | ---: |`);
  for (const [name, value] of rows) {
    const change = value - baseline;
    const delta = name.startsWith('replay bytes') ? '' : `${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}`;
    console.log(`| ${name} | ${value.toFixed(1)} | ${delta} |`);
  }
}

async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/** From the server's `listening` log line; its stdout keeps being read (and ignored) after that. */
async function listeningPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"event":"listening".*?"port":(\d+)/.exec(out);
      if (match) resolvePort(Number(match[1]));
      if (out.length > 1 << 20) out = '';
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

try {
  await main();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
