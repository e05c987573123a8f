import { describe, expect, it, vi } from 'vitest';
import { replayEntryOverheadBytes } from '../../src/tutor/ReplayRing.ts';
import { Room, type RoomMember } from '../../src/tutor/Room.ts';
import { Rooms } from '../../src/tutor/Rooms.ts';

function member(connectionId: string, userId = connectionId, alive = true): RoomMember & { got: any[] } {
  const got: any[] = [];
  return {
    connectionId,
    userId,
    role: 'student',
    got,
    send(data: string | Buffer) {
      if (alive) got.push(JSON.parse(data.toString()));
      return alive;
    },
  };
}

const roomsDefaults = { replayMessages: 10, replayMs: 1_000, replayBytes: 1 << 20, replayTotalBytes: 1 << 26, emptyRoomGraceMs: 60_000 };

function clock(start = 1_000) {
  const c = { now: start, fn: () => c.now };
  return c;
}

describe('Room', () => {
  it('uses no seq for a message that cannot be serialized', () => {
    const room = new Room('s', { replayMessages: 10, replayMs: 1_000 });
    const listener = member('l');
    room.join(listener);
    const cyclic: { type: string; self?: unknown } = { type: 'x' };
    cyclic.self = cyclic;
    expect(() => room.publish(cyclic, { userId: 'server', role: 'server' })).toThrow(TypeError);
    expect(room.seq).toBe(0);
    room.publish({ type: 'y' }, { userId: 'server', role: 'server' });
    expect(listener.got.map((m) => [m.type, m.seq])).toEqual([['y', 1]]);
  });

  it('fans out to everyone but the sender, counts only successful deliveries', () => {
    const room = new Room('s', { replayMessages: 10, replayMs: 1_000 });
    const [a, b, dead] = [member('a'), member('b'), member('dead', 'dead', false)];
    for (const m of [a, b, dead]) room.join(m);
    expect(b.got.map((m) => m.event)).toEqual(['join']);
    expect(room.publish({ type: 'x' }, { userId: 'a', connectionId: 'a', role: 'student' })).toBe(1);
    expect(a.got.filter((m) => m.type === 'x')).toEqual([]);
    expect(b.got.at(-1)).toMatchObject({ type: 'x', seq: 1 });
  });

  it('replays within capacity and ttl, and reports what is gone', () => {
    const c = clock();
    const room = new Room('s', { replayMessages: 3, replayMs: 1_000, now: c.fn });
    const server = { userId: 'server', role: 'server' as const };
    for (let n = 1; n <= 5; n += 1) {
      room.publish({ type: 'm', n }, server);
      c.now += 100;
    }
    const late = member('late');
    room.replay(late, { since: 3, epoch: room.epoch });
    expect(late.got.map((m) => m.seq)).toEqual([4, 5]);

    const older = member('older');
    room.replay(older, { since: 1 });
    expect(older.got.map((m) => m.type === 'error' ? m.code : m.seq)).toEqual(['replay_gap', 3, 4, 5]);

    c.now += 1_000;
    const afterTtl = member('afterTtl');
    room.replay(afterTtl, { since: 4 });
    expect(afterTtl.got).toMatchObject([{ code: 'replay_gap', message: 'messages 5..5 are no longer available' }]);
    expect(room.retainFor()).toBe(0);
  });

  it('keeps `to` on replay', () => {
    const room = new Room('s', { replayMessages: 10, replayMs: 1_000 });
    room.publish({ type: 'm', to: 'u1' }, { userId: 'server', role: 'server' });
    room.publish({ type: 'm', to: 'u2' }, { userId: 'server', role: 'server' });
    const u1 = member('c1', 'u1');
    room.replay(u1, { since: 0 });
    expect(u1.got).toMatchObject([{ to: 'u1', seq: 1 }]);
  });
});

describe('Rooms', () => {
  it('drops an empty room without retained messages at once', () => {
    const rooms = new Rooms({ ...roomsDefaults, replayMs: 1_000 });
    const room = rooms.open('s');
    rooms.release(room);
    expect(rooms.get('s')).toBeUndefined();
  });

  it('keeps an empty room with retained messages until they expire, and revives it on open', () => {
    const rooms = new Rooms({ ...roomsDefaults, replayMs: 60_000 });
    const room = rooms.open('s');
    room.publish({ type: 'm' }, { userId: 'server', role: 'server' });
    rooms.release(room);
    expect(rooms.get('s')).toBe(room);
    expect(rooms.open('s')).toBe(room);
    rooms.clear();
    expect(rooms.size).toBe(0);
  });

  it('keeps an empty room no longer than the grace, then drops it with its replay', async () => {
    const rooms = new Rooms({ ...roomsDefaults, replayMs: 60_000, emptyRoomGraceMs: 20 });
    const room = rooms.open('s');
    room.publish({ type: 'm', text: 'x'.repeat(1000) }, { userId: 'server', role: 'server' });
    expect(rooms.replayBytes).toBeGreaterThan(1000);
    rooms.release(room);
    expect(rooms.get('s')).toBe(room);
    await vi.waitFor(() => expect(rooms.get('s')).toBeUndefined(), { timeout: 2_000, interval: 10 });
    expect(rooms.replayBytes).toBe(0);
    // The session's next room is a new instance: a client resuming with the old epoch learns of the gap.
    expect(rooms.open('s').epoch).not.toBe(room.epoch);
    rooms.clear();
  });

  it('shares one byte budget: the quietest room loses its history first', () => {
    const c = clock();
    const server = { userId: 'server', role: 'server' as const };
    const text = 'y'.repeat(2_000);
    // Under 4 KiB a message is kept as text, charged two bytes per character.
    const entry = 2 * JSON.stringify({ type: 'm', text, from: server, ts: c.now, seq: 1 }).length + replayEntryOverheadBytes;
    // Room for 4 entries per room and 5 in all.
    const rooms = new Rooms({ ...roomsDefaults, replayMessages: 100, replayMs: 60_000, replayBytes: 4.5 * entry, replayTotalBytes: 5.5 * entry, now: c.fn });
    const quiet = rooms.open('quiet');
    const busy = rooms.open('busy');
    for (let n = 0; n < 2; n += 1) quiet.publish({ type: 'm', text }, server);
    for (let n = 0; n < 3; n += 1) busy.publish({ type: 'm', text }, server);
    expect([quiet.replayBytes, busy.replayBytes]).toEqual([2 * entry, 3 * entry]);
    expect(rooms.replayBytes).toBe(5 * entry);
    busy.publish({ type: 'm', text }, server);
    // The budget took the quiet room's oldest message, not the busy room's.
    const q = member('q');
    quiet.replay(q, { since: 0, epoch: quiet.epoch });
    expect(q.got.map((m) => (m.type === 'error' ? m.code : m.seq))).toEqual(['replay_gap', 2]);
    busy.publish({ type: 'm', text }, server);
    // Now the busy room is at its own limit (4): it gives up its own oldest, the quiet room keeps seq 2.
    const b = member('b');
    busy.replay(b, { since: 0, epoch: busy.epoch });
    expect(b.got.map((m) => (m.type === 'error' ? m.code : m.seq))).toEqual(['replay_gap', 2, 3, 4, 5]);
    const q2 = member('q2');
    quiet.replay(q2, { since: 1, epoch: quiet.epoch });
    expect(q2.got.map((m) => m.seq)).toEqual([2]);
    expect(rooms.replayBytes).toBe(5 * entry);
    rooms.clear();
    expect(rooms.replayBytes).toBe(0);
  });
});
