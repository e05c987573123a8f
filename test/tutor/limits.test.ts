import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ErrorMessage, PresenceMessage } from '../../src/tutor/protocol.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket, type TutorSocket } from '../utils/tutorSocket.ts';

function join(server: TestServer, sessionId: string, sub: string) {
  return tutorSocket(server.tutorUrl(sessionId, { token: server.token({ sub, sid: sessionId }) }));
}

/** The socket is still served: a ping is answered. */
async function stillServed(socket: TutorSocket): Promise<void> {
  socket.send({ type: 'ping' });
  await socket.nextOfType('pong');
}

function leaveOf(connectionId: string) {
  return (m: { type: string }) => m.type === 'presence' && (m as PresenceMessage).event === 'leave' && (m as PresenceMessage).connectionId === connectionId;
}

describe('tutor channel: bad input', () => {
  const invalid: Array<[string, string]> = [
    ['invalid JSON', '{"type": "chat",'],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"hello"'],
    ['null', 'null'],
    ['a missing type', '{"text": "hi"}'],
    ['an empty type', '{"type": ""}'],
    ['a numeric type', '{"type": 42}'],
    ['a type longer than 64 characters', JSON.stringify({ type: 'x'.repeat(65) })],
    ['the reserved type welcome', '{"type": "welcome"}'],
    ['the reserved type presence', '{"type": "presence", "event": "leave"}'],
    ['the reserved type pong', '{"type": "pong"}'],
    ['the reserved type error', '{"type": "error"}'],
    ['a whiteboard.* type', '{"type": "whiteboard.restored"}'],
    ['a server.* type', '{"type": "server.notice"}'],
    ['a non-string to', '{"type": "chat", "to": 5}'],
  ];

  it.each(invalid)('answers %s with invalid_message, keeps the sender and the room', async (_name, frame) => {
    const server = await startServer();
    const sender = await join(server, 'bad', 'mallory');
    const peer = await join(server, 'bad', 'bob');
    sender.socket.send(frame);
    const error = await sender.socket.nextOfType<ErrorMessage>('error');
    expect(error).toMatchObject({ type: 'error', code: 'invalid_message', message: expect.any(String) });
    await stillServed(sender.socket);
    sender.socket.send({ type: 'chat' });
    expect((await peer.socket.nextOfType('chat')).type).toBe('chat');
    expect(peer.socket.receivedOfType('error')).toEqual([]);
  });

  it('accepts a type of exactly 64 characters', async () => {
    const server = await startServer();
    const sender = await join(server, 'edge', 'a');
    const peer = await join(server, 'edge', 'b');
    sender.socket.send({ type: 'y'.repeat(64) });
    await peer.socket.nextOfType('y'.repeat(64));
  });

  it('closes with 1008 after more than invalidMessagesPerMinute invalid messages; the room goes on', async () => {
    const server = await startServer({ TUTOR_INVALID_MESSAGES_PER_MINUTE: '3' });
    const abuser = await join(server, 'abuse', 'mallory');
    const peer = await join(server, 'abuse', 'bob');
    for (let i = 0; i < 3; i += 1) abuser.socket.send('not json');
    for (let i = 0; i < 3; i += 1) await abuser.socket.nextOfType('error');
    await stillServed(abuser.socket);
    abuser.socket.send('not json');
    expect(await abuser.socket.waitForClose()).toEqual({ code: 1008, reason: 'too many invalid messages' });
    await peer.socket.next(leaveOf(abuser.welcome.connectionId));
    await stillServed(peer.socket);
    expect(server.server.tutor.stats.closeCodes[1008]).toBe(1);
  });

  it('answers a binary frame with an error and closes 1003', async () => {
    const server = await startServer();
    const sender = await join(server, 'bin', 'a');
    const peer = await join(server, 'bin', 'b');
    sender.socket.ws.send(Buffer.from([1, 2, 3]));
    expect(await sender.socket.nextOfType('error')).toMatchObject({ code: 'unsupported_data' });
    expect(await sender.socket.waitForClose()).toEqual({ code: 1003, reason: 'binary frames are not supported' });
    await peer.socket.next(leaveOf(sender.welcome.connectionId));
  });

  it('closes a frame over TUTOR_MAX_MESSAGE_BYTES with 1009 and announces the leave', async () => {
    const server = await startServer({ TUTOR_MAX_MESSAGE_BYTES: '1024' });
    const sender = await join(server, 'big', 'a');
    const peer = await join(server, 'big', 'b');
    sender.socket.send({ type: 'chat', text: 'x'.repeat(900) });
    await peer.socket.nextOfType('chat');
    sender.socket.send({ type: 'chat', text: 'x'.repeat(1100) });
    expect((await sender.socket.waitForClose()).code).toBe(1009);
    await peer.socket.next(leaveOf(sender.welcome.connectionId));
    expect(server.server.registry.session('big').map((c) => c.userId)).toEqual(['b']);
  });
});

describe('tutor channel: rate limit', () => {
  it('drops messages over the burst with rate_limited, then closes 1008 when it goes on', async () => {
    const server = await startServer({ TUTOR_RATE_LIMIT_PER_SECOND: '1', TUTOR_RATE_LIMIT_BURST: '5' });
    const sender = await join(server, 'rate', 'a');
    const peer = await join(server, 'rate', 'b');
    for (let i = 0; i < 7; i += 1) sender.socket.send({ type: 'chat', i });
    for (let i = 0; i < 5; i += 1) expect(await peer.socket.nextOfType('chat')).toMatchObject({ i });
    expect(await sender.socket.nextOfType('error')).toMatchObject({ code: 'rate_limited' });
    // Keep flooding: more than `burst` rejections within a minute is no accident.
    for (let i = 0; i < 10; i += 1) sender.socket.send({ type: 'chat', i: 100 + i });
    expect(await sender.socket.waitForClose()).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    await peer.socket.next(leaveOf(sender.welcome.connectionId));
    // At most one token can have refilled while the test ran.
    expect(peer.socket.receivedOfType('chat').length).toBeLessThanOrEqual(7);
    expect(server.server.tutor.stats.rateLimited).toBeGreaterThanOrEqual(6);
  });
});

describe('tutor channel: slow consumer', () => {
  it('closes a socket that does not read with 1013; a reading peer is unaffected', async () => {
    const server = await startServer({ TUTOR_MAX_BUFFERED_BYTES: String(64 * 1024), TUTOR_REPLAY_MESSAGES: '0' });
    const slow = await join(server, 'slow', 'sloth');
    const reader = await join(server, 'slow', 'reader');
    (slow.socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const { tutor } = server.server;
    const payload = 'z'.repeat(8 * 1024);
    let sent = 0;
    // Yield between batches so the reader (same process) keeps draining its socket.
    for (let batch = 0; batch < 2_000 && !tutor.stats.closeCodes[1013]; batch += 1) {
      for (let i = 0; i < 8; i += 1) tutor.publish('slow', { type: 'flood', n: sent++, payload });
      await yieldToLoop();
    }
    expect(tutor.stats.closeCodes[1013]).toBe(1);
    await reader.socket.next(leaveOf(slow.welcome.connectionId));
    expect(server.server.registry.session('slow').map((c) => c.userId)).toEqual(['reader']);
    // The reader still gets everything published after the cut.
    tutor.publish('slow', { type: 'after' });
    await reader.socket.nextOfType('after', 10_000);
    (slow.socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await slow.socket.waitForClose(10_000)).toEqual({ code: 1013, reason: 'slow consumer: send buffer full' });
  });
});
