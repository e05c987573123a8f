/**
 * Reads one text frame from the server. The client runs inside event handlers of the page or
 * the process: a frame it cannot use (not JSON, not an object, a control message without its
 * fields, a room message without its stamps; a proxy or another server on the URL can send
 * anything) is dropped here rather than throwing there, where in Node it would end the process.
 */
import type { IncomingMessage } from '../tutor/protocol.ts';

type Fields = Record<string, unknown>;

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPeer = (value: unknown): boolean => isObject(value) && isString(value.connectionId) && isString(value.userId) && isString(value.role);

/** The message, or undefined when the frame is not one the tutor channel sends. */
export function parseServerMessage(text: string): IncomingMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !isString(value.type)) return undefined;
  return wellFormed(value) ? (value as unknown as IncomingMessage) : undefined;
}

function wellFormed(m: Fields): boolean {
  switch (m.type) {
    case 'welcome':
      return (
        isString(m.connectionId) &&
        isString(m.sessionId) &&
        isString(m.userId) &&
        isString(m.role) &&
        Array.isArray(m.peers) &&
        m.peers.every(isPeer) &&
        isNumber(m.heartbeatIntervalMs) &&
        m.heartbeatIntervalMs > 0 &&
        isNumber(m.staleTimeoutMs) &&
        m.staleTimeoutMs > 0 &&
        isNumber(m.seq) &&
        isString(m.epoch)
      );
    case 'presence':
      return isPeer(m) && (m.event === 'join' || m.event === 'leave');
    case 'pong':
      return isNumber(m.ts);
    case 'error':
      return isString(m.code) && isString(m.message);
    default:
      // A room message: whatever its sender wrote, plus the server's stamps.
      return isObject(m.from) && isString(m.from.userId) && (m.from.connectionId === undefined || isString(m.from.connectionId)) && isNumber(m.seq) && isNumber(m.ts);
  }
}
