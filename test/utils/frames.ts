/**
 * Hand-made Hocuspocus frames, for clients that do what a provider never would.
 */
import * as encoding from 'lib0/encoding';
import { encodeAwarenessUpdate, Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { MessageType, SyncStep } from '../../src/whiteboard/frames.ts';

function frame(key: string, type: number, body: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, key);
  encoding.writeVarUint(encoder, type);
  body(encoder);
  return encoding.toUint8Array(encoder);
}

/** The provider's authentication message (token sub-type 0). */
export function authFrame(key: string, token: string): Uint8Array {
  return frame(key, MessageType.Auth, (e) => {
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, token);
  });
}

export function updateFrame(key: string, update: Uint8Array, step: number = SyncStep.Update): Uint8Array {
  return frame(key, MessageType.Sync, (e) => {
    encoding.writeVarUint(e, step);
    encoding.writeVarUint8Array(e, update);
  });
}

export function syncStep1Frame(key: string, doc = new Y.Doc()): Uint8Array {
  return frame(key, MessageType.Sync, (e) => {
    encoding.writeVarUint(e, SyncStep.One);
    encoding.writeVarUint8Array(e, Y.encodeStateVector(doc));
  });
}

/** An awareness frame setting `state` for each of `clientIds` (clock 1 unless given). */
export function awarenessFrame(key: string, clientIds: number[], state: Record<string, unknown>, clock = 1): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, clientIds.length);
  const json = JSON.stringify(state);
  for (const id of clientIds) {
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, json);
  }
  const update = encoding.toUint8Array(encoder);
  return frame(key, MessageType.Awareness, (e) => encoding.writeVarUint8Array(e, update));
}

/** A real awareness update of a provider-like client, for comparison. */
export function providerAwarenessFrame(key: string, doc: Y.Doc, state: Record<string, unknown>): Uint8Array {
  const awareness = new Awareness(doc);
  awareness.setLocalState(state);
  const update = encodeAwarenessUpdate(awareness, [doc.clientID]);
  awareness.destroy();
  return frame(key, MessageType.Awareness, (e) => encoding.writeVarUint8Array(e, update));
}
