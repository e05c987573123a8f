/**
 * Reads just enough of a Hocuspocus 4 frame to route and check it, without applying anything.
 *
 * Layout: varString routing key (the document name, or `documentName\0sessionId` for
 * session-aware providers), varUint message type, then the type's body. Sync bodies carry a
 * varUint sync step (0 step 1, 1 step 2, 2 update) and, for step 2 and update, the Yjs update
 * as a varUint8Array; awareness bodies carry one varUint8Array whose first varUint is the
 * number of client entries.
 */
import * as decoding from 'lib0/decoding';

/** Hocuspocus's message types (its enum is not erasable syntax, so the values are repeated here). */
export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  SyncReply: 4,
  Stateless: 5,
  BroadcastStateless: 6,
  Close: 7,
  SyncStatus: 8,
} as const;

/** y-protocols sync steps. */
export const SyncStep = { One: 0, Two: 1, Update: 2 } as const;

export interface FrameHeader {
  /** The routing key as sent. */
  key: string;
  /** The document name (the key up to a `\0`). */
  documentName: string;
  type: number;
  decoder: decoding.Decoder;
}

/** Throws (lib0's decoding errors) when the frame is too short to hold a header. */
export function readHeader(frame: Uint8Array): FrameHeader {
  const decoder = decoding.createDecoder(frame);
  const key = decoding.readVarString(decoder);
  const type = decoding.readVarUint(decoder);
  const separator = key.indexOf('\0');
  return { key, documentName: separator === -1 ? key : key.slice(0, separator), type, decoder };
}

export interface DocumentUpdate {
  /** `SyncStep.Two` (a reply to the other side's state vector) or `SyncStep.Update`. */
  step: number;
  update: Uint8Array;
}

/**
 * The Yjs update a frame asks the server to apply (sync step 2 or update), or undefined for any
 * other frame. Throws when a sync frame is truncated.
 */
export function documentUpdateOf(frame: Uint8Array): DocumentUpdate | undefined {
  const { type, decoder } = readHeader(frame);
  if (type !== MessageType.Sync && type !== MessageType.SyncReply) return undefined;
  const step = decoding.readVarUint(decoder);
  if (step !== SyncStep.Two && step !== SyncStep.Update) return undefined;
  return { step, update: decoding.readVarUint8Array(decoder) };
}

/** How many client entries an awareness frame carries (its first varUint), without decoding them. */
export function awarenessEntryCount(header: FrameHeader): number {
  const update = decoding.readVarUint8Array(header.decoder);
  return decoding.readVarUint(decoding.createDecoder(update));
}

/** An update that carries no structs and no deletions (what a provider sends when it has nothing new). */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0;
}
