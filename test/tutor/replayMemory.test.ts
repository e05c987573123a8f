/**
 * Issue 8: replay rings of 40 busy rooms held +550 MB for two minutes after everyone left. The
 * server runs in a child with a memory probe (full GC, then heap + external), so what is measured
 * is what it retains. Bounded: 40 sockets, 40 MiB sent, seconds (60 s at most on a loaded machine).
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Authenticator } from '../../src/auth.ts';
import { sample } from '../ops/helpers.ts';
import { spawnServer } from '../utils/childServer.ts';
import { measureMemory, memoryProbeArgs } from '../utils/memoryProbe.ts';
import { tempDir, testSecret } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';

const MiB = 1024 * 1024;
const rooms = 40;
const framesPerRoom = 16;
const totalLimit = 8 * MiB;

async function metric(port: number, name: string): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return sample(await response.text(), name);
}

describe('tutor replay memory under a flood', () => {
  it('stays within TUTOR_REPLAY_TOTAL_BYTES while rooms are busy and is given back soon after everyone left', async () => {
    const env = {
      JWT_SECRET: testSecret,
      DATABASE_PATH: join(tempDir(), 'tutorboard.db'),
      TUTOR_REPLAY_TOTAL_BYTES: String(totalLimit),
      TUTOR_EMPTY_ROOM_GRACE_MS: '500',
    };
    const server = await spawnServer(env, 10_000, { nodeArgs: memoryProbeArgs, ipc: true });
    const signer = new Authenticator({ secret: testSecret });
    const baseline = await measureMemory(server.child);

    // One socket per room, each sending frames just under TUTOR_MAX_MESSAGE_BYTES (64 KiB).
    const text = 'x'.repeat(64 * 1024 - 100);
    const sockets = await Promise.all(
      Array.from({ length: rooms }, (_, i) => {
        const token = signer.sign({ sub: `flooder-${i}`, sid: `room-${i}` }, 600);
        return tutorSocket(`ws://127.0.0.1:${server.port}/ws/v2/session/room-${i}?token=${token}`);
      }),
    );
    for (const { socket } of sockets) {
      for (let n = 0; n < framesPerRoom; n += 1) socket.send({ type: 'chat', text });
      socket.send({ type: 'ping' });
    }
    // A socket's frames are handled in order: its pong means all of its messages are in the room.
    await Promise.all(sockets.map(({ socket }) => socket.nextOfType('pong', 45_000)));
    for (const { socket } of sockets) expect(socket.receivedOfType('error')).toEqual([]);

    const busy = await measureMemory(server.child);
    const replayBytes = (await metric(server.port, 'tutorboard_tutor_replay_bytes'))!;
    expect(replayBytes).toBeGreaterThan(totalLimit - 2 * 64 * 1024);
    expect(replayBytes).toBeLessThanOrEqual(totalLimit);
    // 40 MiB were sent; without the limits all of it stayed.
    expect(busy.retained - baseline.retained).toBeLessThan(totalLimit + 6 * MiB);

    for (const { socket } of sockets) socket.ws.close();
    await vi.waitFor(async () => expect(await metric(server.port, 'tutorboard_tutor_rooms')).toBe(0), { timeout: 5_000, interval: 100 });
    expect(await metric(server.port, 'tutorboard_tutor_replay_bytes')).toBe(0);
    const after = await measureMemory(server.child);
    expect(after.retained - baseline.retained).toBeLessThan(4 * MiB);

    console.info(
      `replay memory (heap + external after GC): baseline ${(baseline.retained / MiB).toFixed(1)} MiB, ` +
        `${rooms} busy rooms +${((busy.retained - baseline.retained) / MiB).toFixed(1)} MiB, ` +
        `after everyone left +${((after.retained - baseline.retained) / MiB).toFixed(1)} MiB`,
    );
  }, 60_000);
});
