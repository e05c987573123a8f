import { describe, expect, it } from 'vitest';
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
    const rooms = new Rooms({ replayMessages: 10, replayMs: 1_000 });
    const room = rooms.open('s');
    rooms.release(room);
    expect(rooms.get('s')).toBeUndefined();
  });

  it('keeps an empty room with retained messages until they expire, and revives it on open', () => {
    const rooms = new Rooms({ replayMessages: 10, replayMs: 60_000 });
    const room = rooms.open('s');
    room.publish({ type: 'm' }, { userId: 'server', role: 'server' });
    rooms.release(room);
    expect(rooms.get('s')).toBe(room);
    expect(rooms.open('s')).toBe(room);
    rooms.clear();
    expect(rooms.size).toBe(0);
  });
});
