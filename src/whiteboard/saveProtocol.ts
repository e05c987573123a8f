/**
 * The whiteboard's `save` receipts, carried in Hocuspocus stateless messages (JSON strings).
 * Imports nothing, so browser clients can share these types.
 *
 *   client → server  {"type":"save","id":"a1"}
 *   server → client  {"type":"saved","id":"a1","stateVector":"<base64 Yjs state vector>"}
 *                    every update the client sent before the request is durable
 *                    {"type":"save_refused","id":"a1","code":"read_only"|"board_too_large"|…,"message"}
 *                    {"type":"refused","code":"board_too_large","message"}   (pushed when an update is refused)
 */
export interface SaveRequest {
  type: 'save';
  /** Echoed in the answer; a string of at most 64 characters or a safe integer. */
  id: string | number;
}

export type SaveReply =
  | { type: 'saved'; id: string | number; stateVector: string }
  | { type: 'save_refused'; id: string | number; code: string; message: string }
  | { type: 'refused'; code: string; message: string };

/** Longest stateless payload read as a save request; anything longer is somebody else's message. */
const maxRequestLength = 256;

/** The save request in a stateless payload, or undefined when the payload is not one. */
export function parseSaveRequest(payload: string): SaveRequest | undefined {
  if (payload.length > maxRequestLength || !payload.includes('"save"')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'save') return undefined;
  const id = (value as { id?: unknown }).id;
  if (typeof id === 'string' && id.length <= 64) return { type: 'save', id };
  if (typeof id === 'number' && Number.isSafeInteger(id)) return { type: 'save', id };
  return undefined;
}

/** A stateless payload from the server, if it is one of the save replies. */
export function parseSaveReply(payload: string): SaveReply | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'saved' || type === 'save_refused' || type === 'refused' ? (value as SaveReply) : undefined;
}
