/**
 * A hash that identifies a Yjs document state, for snapshot dedupe.
 *
 * Hashing `Y.encodeStateAsUpdate` bytes would miss duplicates: the same state encodes to
 * different bytes depending on how its items happen to be split or merged in memory (a live
 * document that received many small updates versus the same state freshly loaded). The state
 * vector plus the delete set is what defines a state, and Yjs encodes both in a fixed order.
 */
import { createHash } from 'node:crypto';
import * as Y from 'yjs';

export function stateHash(doc: Y.Doc): string {
  return createHash('sha256').update(Y.encodeSnapshot(Y.snapshot(doc))).digest('hex');
}
