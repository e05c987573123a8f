/**
 * The demo's own message types on the tutor channel. The server passes any JSON object with a
 * `type` through, so these are a convention between pages, checked on the way in like any input.
 *
 *   {"type":"chat","text"}                     everyone
 *   {"type":"hint","text","to"?}               from a tutor (or a backend via the admin API); styled apart
 *   {"type":"hand","raised":true|false,"userId"?}  a student raises/lowers; a tutor lowers someone's (userId)
 *   {"type":"whiteboard.restored","snapshotId","by"}  from the server after a snapshot restore
 */
import type { RoomMessage } from './channelTypes.ts';

/** Longest chat or hint text the page sends or shows, in characters. */
export const maxTextLength = 2000;

export type DemoMessage =
  | { kind: 'chat'; text: string }
  | { kind: 'hint'; text: string; to?: string }
  | { kind: 'hand'; raised: boolean; userId: string }
  | { kind: 'restored'; snapshotId: number; by: string };

/** The demo meaning of a room message, or undefined for anything this page does not show. */
export function readDemoMessage(message: RoomMessage): DemoMessage | undefined {
  const text = typeof message.text === 'string' ? message.text.slice(0, maxTextLength) : '';
  switch (message.type) {
    case 'chat':
      return text ? { kind: 'chat', text } : undefined;
    case 'hint':
      return text ? { kind: 'hint', text, to: typeof message.to === 'string' ? message.to : undefined } : undefined;
    case 'hand': {
      // Only a tutor may lower someone else's hand; anyone else speaks for themselves.
      const other = message.from.role === 'tutor' && typeof message.userId === 'string' ? message.userId : undefined;
      return { kind: 'hand', raised: message.raised === true, userId: other ?? message.from.userId };
    }
    case 'whiteboard.restored':
      if (message.from.role !== 'server' || typeof message.snapshotId !== 'number') return undefined;
      return { kind: 'restored', snapshotId: message.snapshotId, by: typeof message.by === 'string' ? message.by : 'someone' };
    default:
      return undefined;
  }
}
