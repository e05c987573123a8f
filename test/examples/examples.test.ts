/**
 * The examples in examples/ run as documented against a real server: the whiteboard client's
 * shape is stored, the tutor bot answers a question and stops on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RoomMessage } from '../../src/tutor/protocol.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { withTimeout } from '../utils/waitFor.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function runExample(file: string, t: TestServer, token: string) {
  // The condition makes `tutorboard/client` resolve to this repository's sources (package.json exports).
  const child = spawn(process.execPath, ['--conditions=tutorboard-source', `examples/${file}`], {
    cwd: root,
    env: { ...process.env, TUTORBOARD_WS: `ws://127.0.0.1:${t.port}`, SESSION: 'example', TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  registerCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const line = (pattern: RegExp) =>
    withTimeout(
      new Promise<RegExpExecArray>((resolve) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) resolve(match);
          return match;
        };
        if (!check()) child.stdout!.on('data', check);
      }),
      10_000,
      `${file} to print ${pattern} (stderr: ${stderr})`,
    );
  return { child, exited, line, output: () => ({ stdout, stderr }) };
}

function exitOf(example: { exited: Promise<number | null>; output: () => { stderr: string } }, file: string) {
  return withTimeout(example.exited, 15_000, `${file} to exit`).then((code) => ({ code, stderr: example.output().stderr }));
}

describe('examples/', () => {
  it('whiteboard-client.ts adds a shape that the server stores', async () => {
    const t = await startServer();
    const example = runExample('whiteboard-client.ts', t, t.token({ sub: 'ada', sid: 'example', role: 'tutor' }));
    await example.line(/session example: 1 shape\(s\) on the board, all saved/);
    expect(await exitOf(example, 'whiteboard-client.ts')).toEqual({ code: 0, stderr: '' });
    const stored = await t.server.store.load('example');
    expect(stored.state !== null || stored.updates.length > 0).toBe(true);
  });

  it('tutor-bot.ts answers a question in the chat with a hint to the asker, and stops on SIGTERM', async () => {
    const t = await startServer();
    const bot = runExample('tutor-bot.ts', t, t.token({ sub: 'hint-bot', sid: 'example', role: 'tutor' }));
    await bot.line(/tutor bot in session example as hint-bot/);
    const student = await tutorSocket(t.tutorUrl('example', { token: t.token({ sub: 'sam', sid: 'example' }) }));
    student.socket.send({ type: 'chat', text: 'what is 1/2 + 1/4?' });
    const hint = await student.socket.nextOfType<RoomMessage>('hint');
    expect(hint).toMatchObject({ to: 'sam', from: { userId: 'hint-bot', role: 'tutor' }, text: expect.stringMatching(/Good question/) });
    await bot.line(/hint sent to sam/);
    bot.child.kill('SIGTERM');
    expect(await exitOf(bot, 'tutor-bot.ts')).toEqual({ code: 0, stderr: '' });
    expect(bot.output().stdout).toMatch(/tutor bot stopped \(1000 client closed\)/);
  });
});
