/**
 * A y-protocols awareness update as plain data, without an `Awareness` (and the `Y.Doc` one
 * needs): decoded into the states a fresh Awareness would hold after applying it, and encoded
 * back from such states.
 *
 * Wire format: varUint count, then per entry varUint clientID, varUint clock, varString JSON
 * state (`null` for a removal).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export type AwarenessState = Record<string, unknown>;

/**
 * The states of an incoming awareness update, as a map the `beforeHandleAwareness` hooks may
 * edit (set, delete, change fields). A subclass only so that hooks can tell it from stock
 * Hocuspocus's map, whose first entry is the scratch Awareness's own empty state.
 */
export class DecodedAwarenessStates extends Map<number, AwarenessState> {
  /** The clock each client's state came with; an entry needs one to be encoded again. */
  readonly clocks = new Map<number, number>();
}

/**
 * What applying `update` to a fresh Awareness leaves in its states (stock Hocuspocus decodes
 * into exactly that): entries with a clock above 0 and a state; a later entry for the same
 * client wins when its clock is higher, and a removal at the same clock deletes. Removals
 * themselves are not kept. Throws on truncated bytes or a state that is not JSON.
 */
export function decodeAwarenessUpdate(update: Uint8Array): DecodedAwarenessStates {
  const states = new DecodedAwarenessStates();
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  for (let i = 0; i < count; i += 1) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = JSON.parse(decoding.readVarString(decoder)) as AwarenessState | null;
    const current = states.clocks.get(clientId) ?? 0;
    if (current < clock || (current === clock && state === null && states.has(clientId))) {
      if (state === null) states.delete(clientId);
      else states.set(clientId, state);
      states.clocks.set(clientId, clock);
    }
  }
  return states;
}

/**
 * The update for every entry in `states`, each with the clock it arrived with. A hook that
 * added a client id without one makes this throw, as stock Hocuspocus does (its encode reads
 * the missing clock).
 */
export function encodeAwarenessUpdate(states: DecodedAwarenessStates): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, states.size);
  for (const [clientId, state] of states) {
    const clock = states.clocks.get(clientId);
    if (clock === undefined) throw new TypeError(`awareness client ${clientId} was added by a hook without a clock`);
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}
