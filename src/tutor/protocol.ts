/**
 * The tutor channel's wire protocol, shared by the server (extensions/TutorChannel.ts) and the
 * client (`tutorboard/client`, src/client/). It imports nothing from Node or the server, so a
 * front-end project type-checks and bundles it without Node types (test/package/clientImports.test.ts).
 * docs/tutor-protocol.md is the prose version of this file; keep them in step.
 */
import type { Role } from '../roles.ts';

export type { Role };

/** Longest `type` a client may send, in characters. */
export const maxTypeLength = 64;

/**
 * Deepest nesting of objects and arrays a client message may have (the message itself is 1).
 * `JSON.parse` accepts any depth, but re-serializing a message tens of thousands of levels deep
 * overflows the stack; no real message needs more than a few levels.
 */
export const maxNestingDepth = 64;

/** Types only the server sends; a client sending one of these gets `invalid_message`. */
export const serverMessageTypes = ['welcome', 'presence', 'pong', 'error'] as const;
export type ServerMessageType = (typeof serverMessageTypes)[number];

/**
 * Prefixes only the server (or a backend through `TutorChannel.publish`) may use, so that a
 * client can trust that e.g. `whiteboard.restored` really came from the server.
 */
export const reservedTypePrefixes = ['whiteboard.', 'server.'] as const;

/** True for every type a client may not send: the server's own and the reserved namespaces. */
export function isReservedType(type: string): boolean {
  return (
    (serverMessageTypes as readonly string[]).includes(type) ||
    reservedTypePrefixes.some((prefix) => type.startsWith(prefix))
  );
}

/** A sender as stamped by the server. `server` and `service` senders have no connection. */
export interface Sender {
  userId: string;
  connectionId?: string;
  role: Role | 'server' | 'service';
}

export interface Peer {
  connectionId: string;
  userId: string;
  role: Role;
}

export type ErrorCode =
  | 'invalid_message'
  | 'unsupported_data'
  | 'rate_limited'
  | 'forbidden'
  | 'replay_gap';

export interface WelcomeMessage {
  type: 'welcome';
  connectionId: string;
  sessionId: string;
  userId: string;
  role: Role;
  /** The other connections in the room when this one joined. */
  peers: Peer[];
  heartbeatIntervalMs: number;
  staleTimeoutMs: number;
  /** The room's latest seq: resume later with `?since=<the last seq you saw>`. */
  seq: number;
  /** Identifies this instance of the room; seq values only compare within one epoch. */
  epoch: string;
}

export interface PresenceMessage extends Peer {
  type: 'presence';
  event: 'join' | 'leave';
}

export interface PongMessage {
  type: 'pong';
  /** Server time, epoch milliseconds. */
  ts: number;
}

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
}

/** The messages the server itself originates, discriminated on `type`. */
export type ControlMessage = WelcomeMessage | PresenceMessage | PongMessage | ErrorMessage;

/** What a client sends to the room: any JSON object with a `type`, optionally addressed `to` a user. */
export interface OutgoingMessage {
  type: string;
  to?: string;
  [field: string]: unknown;
}

/** A room message as delivered: the sender's object plus the server's stamps. */
export interface RoomMessage extends OutgoingMessage {
  from: Sender;
  /** Server time when the room accepted it, epoch milliseconds. */
  ts: number;
  /** Per-room, strictly increasing, starting at 1 for a new epoch. */
  seq: number;
}

/** Anything the server sends on a tutor socket. */
export type IncomingMessage = ControlMessage | RoomMessage;

export function isControlMessage(message: IncomingMessage): message is ControlMessage {
  return (serverMessageTypes as readonly string[]).includes(message.type);
}

/** A validated client frame, discriminated on `kind` (the wire `type` is free-form). */
export type ClientFrame =
  | { kind: 'ping' }
  | { kind: 'room'; message: OutgoingMessage }
  | { kind: 'invalid'; reason: string };

/**
 * Validates one text frame. Never throws: anything unusable is `invalid` with a reason
 * that is safe to send back to the client.
 */
export function parseClientMessage(text: string): ClientFrame {
  if (nestedDeeperThan(text, maxNestingDepth)) {
    return { kind: 'invalid', reason: `message is nested deeper than ${maxNestingDepth} levels` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'message must be a JSON object' };
  }
  const message = value as Record<string, unknown>;
  const { type, to } = message;
  if (typeof type !== 'string' || type.length === 0) {
    return { kind: 'invalid', reason: 'message needs a string "type"' };
  }
  if (type.length > maxTypeLength) {
    return { kind: 'invalid', reason: `"type" is longer than ${maxTypeLength} characters` };
  }
  if (type === 'ping') return { kind: 'ping' };
  if (isReservedType(type)) {
    return { kind: 'invalid', reason: `"type" ${JSON.stringify(type)} is reserved for the server` };
  }
  if (to !== undefined && (typeof to !== 'string' || to.length === 0)) {
    return { kind: 'invalid', reason: '"to" must be a non-empty user id' };
  }
  return { kind: 'room', message: message as OutgoingMessage };
}

/** Whether `[`/`{` nest deeper than `max` outside strings; a loop, so no depth can overflow it. */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * Parses the resume parameters of a tutor URL. `since` must be a whole number;
 * returns a reason string for a malformed one (the upgrade answers 400).
 */
export function parseResume(url: URL): { since?: number; epoch?: string } | string {
  const rawSince = url.searchParams.get('since');
  const epoch = url.searchParams.get('epoch') ?? undefined;
  if (rawSince === null || rawSince === '') return { epoch };
  if (!/^\d{1,15}$/.test(rawSince)) return 'since must be a whole number';
  return { since: Number(rawSince), epoch };
}
