/**
 * The tutor channel under a demanding user: crowds joining and leaving at once, resumes at every
 * boundary, frames at exactly the size limit, forged and hostile fields, and a flooding peer.
 */
import { describe, expect, it } from 'vitest';
import type { PresenceMessage, RoomMessage } from '../../src/tutor/protocol.ts';
import { startServer } from '../utils/server.ts';
import { tutorSocket, type TutorSocket } from '../utils/tutorSocket.ts';
import { until } from '../utils/waitFor.ts';

const isPresence = (event: 'join' | 'leave', connectionId?: string) => (m: { type: string }) =>
  m.type === 'presence' && (m as PresenceMessage).event === event && (connectionId === undefined || (m as PresenceMessage).connectionId === connectionId);

describe('tutor channel: adversarial use', () => {
  it('keeps presence consistent while 30 clients join and 15 leave concurrently', async () => {
    const server = await startServer();
    const url = (sub: string) => server.tutorUrl('crowd', { token: server.token({ sub, sid: 'crowd' }) });
    const watcher = await tutorSocket(url('watcher'));
    const crowd = await Promise.all(Array.from({ length: 30 }, (_, i) => tutorSocket(url(`u${i}`))));
    const leaving = crowd.slice(0, 15);
    await Promise.all(leaving.map(({ socket }) => (socket.ws.close(1000, 'bye'), socket.waitForClose())));
    for (const { welcome } of leaving) await watcher.socket.next(isPresence('leave', welcome.connectionId));

    const joins = watcher.socket.receivedOfType('presence').filter((m) => (m as PresenceMessage).event === 'join');
    const leaves = watcher.socket.receivedOfType('presence').filter((m) => (m as PresenceMessage).event === 'leave');
    expect(new Set(joins.map((m) => (m as PresenceMessage).connectionId))).toEqual(new Set(crowd.map((c) => c.welcome.connectionId)));
    expect(leaves.map((m) => (m as PresenceMessage).connectionId).sort()).toEqual(leaving.map((c) => c.welcome.connectionId).sort());
    // Whoever joins now sees exactly the ones still there.
    const late = await tutorSocket(url('late'));
    const expected = [watcher, ...crowd.slice(15)].map((c) => c.welcome.connectionId).sort();
    expect(late.welcome.peers.map((p) => p.connectionId).sort()).toEqual(expected);
    expect(server.server.registry.session('crowd').length).toBe(17);
    // Each welcome listed only connections that were already in (no one sees itself as a peer).
    for (const { welcome } of crowd) expect(welcome.peers.map((p) => p.connectionId)).not.toContain(welcome.connectionId);
  });

  it('resumes at every boundary: since 0, the current seq, a future seq, another epoch', async () => {
    const server = await startServer();
    const token = (sub: string) => server.token({ sub, sid: 'edge' });
    const sender = await tutorSocket(server.tutorUrl('edge', { token: token('s') }));
    const peer = await tutorSocket(server.tutorUrl('edge', { token: token('p') }));
    for (let i = 1; i <= 3; i += 1) sender.socket.send({ type: 'chat', i });
    await until(() => peer.socket.receivedOfType('chat').length === 3, peer.socket.ws, 'message', 5_000, 'three chats');
    const { epoch } = peer.welcome;
    const resume = async (query: Record<string, string>): Promise<TutorSocket> => {
      const { socket } = await tutorSocket(server.tutorUrl('edge', { token: token('r'), ...query }));
      // A ping answered means everything the server sent before it has arrived.
      socket.send({ type: 'ping' });
      await socket.nextOfType('pong');
      return socket;
    };
    const types = (s: TutorSocket) => s.received.filter((m) => m.type !== 'welcome' && m.type !== 'pong').map((m) => (m.type === 'chat' ? (m as RoomMessage).seq : (m as { code?: string }).code));

    expect(types(await resume({ since: '0', epoch }))).toEqual([1, 2, 3]);
    expect(types(await resume({ since: '3', epoch }))).toEqual([]);
    expect(types(await resume({ since: '2', epoch }))).toEqual([3]);
    // A seq this room never reached cannot be from this room: everything retained, after a gap.
    const future = await resume({ since: '99', epoch });
    expect(types(future)).toEqual(['replay_gap', 1, 2, 3]);
    expect(future.receivedOfType('error')[0]).toMatchObject({ message: "since 99 is past this room's latest seq 3; sending everything retained" });
    expect(types(await resume({ since: '2', epoch: 'an-old-epoch' }))).toEqual(['replay_gap', 1, 2, 3]);
    expect((await resume({})).received.filter((m) => m.type === 'chat')).toEqual([]);
  });

  it('accepts a frame of exactly TUTOR_MAX_MESSAGE_BYTES of multi-byte text and closes one byte more with 1009', async () => {
    const limit = 1024;
    const server = await startServer({ TUTOR_MAX_MESSAGE_BYTES: String(limit) });
    const token = (sub: string) => server.token({ sub, sid: 'size' });
    const receiver = await tutorSocket(server.tutorUrl('size', { token: token('r') }));
    const sender = await tutorSocket(server.tutorUrl('size', { token: token('s') }));
    const frame = (bytes: number): string => {
      const head = '{"type":"chat","text":"';
      const tail = '"}';
      // Emoji are 4 bytes in UTF-8; pad the remainder with ASCII.
      const room = bytes - Buffer.byteLength(head + tail);
      const text = '😀'.repeat(Math.floor(room / 4)) + 'a'.repeat(room % 4);
      const json = head + text + tail;
      expect(Buffer.byteLength(json)).toBe(bytes);
      return json;
    };
    sender.socket.send(frame(limit));
    const chat = await receiver.socket.nextOfType<RoomMessage>('chat');
    expect(Buffer.byteLength(chat.text as string)).toBe(limit - Buffer.byteLength('{"type":"chat","text":""}'));
    expect(chat.text as string).toContain('😀');
    sender.socket.send(frame(limit + 1));
    expect((await sender.socket.waitForClose()).code).toBe(1009);
    await receiver.socket.next(isPresence('leave', sender.welcome.connectionId));
  });

  it('answers a message nested too deeply to re-serialize with invalid_message; the room goes on', async () => {
    const server = await startServer();
    const token = (sub: string) => server.token({ sub, sid: 'deep' });
    const receiver = await tutorSocket(server.tutorUrl('deep', { token: token('r') }));
    const sender = await tutorSocket(server.tutorUrl('deep', { token: token('s') }));
    // Valid JSON under the 64 KiB limit, but deeper than JSON.stringify can recurse.
    const depth = 30_000;
    sender.socket.send(`{"type":"chat","d":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(await sender.socket.nextOfType('error')).toMatchObject({ code: 'invalid_message' });
    sender.socket.send({ type: 'chat', text: 'still fine' });
    expect(await receiver.socket.nextOfType<RoomMessage>('chat')).toMatchObject({ text: 'still fine', seq: 1 });
    expect(server.server.tutor.stats.invalidMessages).toBe(1);
  });

  it('overwrites forged stamps of any JSON type and passes __proto__ keys through without polluting anything', async () => {
    const server = await startServer();
    const token = (sub: string) => server.token({ sub, sid: 'forge' });
    const receiver = await tutorSocket(server.tutorUrl('forge', { token: token('r') }));
    const sender = await tutorSocket(server.tutorUrl('forge', { token: token('s') }));
    sender.socket.send('{"type":"chat","from":"admin","seq":"9","ts":null,"__proto__":{"to":"nobody","polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    sender.socket.send({ type: 'chat', from: [1, 2], seq: { n: 1 }, ts: false, n: 2 });
    const first = await receiver.socket.nextOfType<RoomMessage>('chat');
    const second = await receiver.socket.nextOfType<RoomMessage>('chat');
    for (const message of [first, second]) {
      expect(message.from).toEqual({ userId: 's', connectionId: sender.welcome.connectionId, role: 'student' });
      expect(typeof message.seq).toBe('number');
      expect(typeof message.ts).toBe('number');
    }
    expect([first.seq, second.seq]).toEqual([1, 2]);
    // The __proto__ key is data, not a prototype: its `to` did not address the message.
    expect(Object.hasOwn(first, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(second.n).toBe(2);
  });

  it('delivers a message `to` the sender\'s own user to its other connections only', async () => {
    const server = await startServer();
    const token = (sub: string) => server.token({ sub, sid: 'self' });
    const phone = await tutorSocket(server.tutorUrl('self', { token: token('sam') }));
    const laptop = await tutorSocket(server.tutorUrl('self', { token: token('sam') }));
    const other = await tutorSocket(server.tutorUrl('self', { token: token('olga') }));
    phone.socket.send({ type: 'note', to: 'sam', text: 'to myself' });
    phone.socket.send({ type: 'ping' });
    expect(await laptop.socket.nextOfType<RoomMessage>('note')).toMatchObject({ text: 'to myself', from: { connectionId: phone.welcome.connectionId } });
    // The pong after it proves the note was not echoed to the sender; a broadcast after it proves olga skipped it.
    await phone.socket.nextOfType('pong');
    laptop.socket.send({ type: 'all' });
    await other.socket.nextOfType('all');
    expect(phone.socket.receivedOfType('note')).toEqual([]);
    expect(other.socket.receivedOfType('note')).toEqual([]);
  });

  it('keeps delivering a polite peer\'s messages promptly while another floods at its rate limit', async () => {
    const server = await startServer({ TUTOR_RATE_LIMIT_PER_SECOND: '100000', TUTOR_RATE_LIMIT_BURST: '100000' });
    const token = (sub: string) => server.token({ sub, sid: 'flood' });
    const receiver = await tutorSocket(server.tutorUrl('flood', { token: token('r') }));
    const flooder = await tutorSocket(server.tutorUrl('flood', { token: token('f') }));
    const polite = await tutorSocket(server.tutorUrl('flood', { token: token('p') }));
    const flood = 20_000;
    const payload = 'x'.repeat(200);
    for (let i = 0; i < flood; i += 1) flooder.socket.send({ type: 'spam', i, payload });
    polite.socket.send({ type: 'chat', text: 'still here' });
    await receiver.socket.nextOfType('chat', 10_000);
    // The polite message did not queue behind the whole flood.
    expect(receiver.socket.receivedOfType('spam').length).toBeLessThan(flood);
    await until(() => receiver.socket.receivedOfType('spam').length === flood, receiver.socket.ws, 'message', 20_000, 'the whole flood');
    expect(flooder.socket.ws.readyState).toBe(flooder.socket.ws.OPEN);
  });
});
