/**
 * The answer a document sends to a client's state vector (sync step 2), encoded once and reused.
 *
 * Every client that joins asks for everything it lacks; Hocuspocus encodes that answer from the
 * Y.Doc for each of them (≈13 ms per MB), so 30 students joining a 1 MB board cost 30 encodes in
 * one loop turn. Most of a burst sends the same state vector (empty for a fresh page, the latest
 * one after a reconnect), so one encode serves them all, keyed by state vector.
 *
 * The document may change after the encode (someone draws while others join): the changes since
 * are kept as they happen (the document's own update events) and sent right after the cached
 * answer, as one update, so the answer stays complete without encoding the board again. Once
 * those changes outgrow `maxTailBytes` (or an eighth of the cached answer), or `ttlMs` after the
 * encode, the entry goes and the next joiner encodes afresh: an idle board keeps no copy.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

export interface SyncReplyCacheOptions {
  /**
   * How long an encoded answer is reused, in milliseconds (a join burst or a reconnect storm is
   * over well within it).
   * @default 10000
   */
  ttlMs: number;
  /**
   * Distinct state vectors (and routing keys) kept per document; beyond it the oldest goes.
   * @default 8
   */
  maxEntries: number;
  /**
   * Changes since the encode that are sent after it, in bytes, at least; an eighth of the
   * cached answer when that is more.
   * @default 65536
   */
  maxTailBytes: number;
}

export const defaultSyncReplyCacheOptions: SyncReplyCacheOptions = { ttlMs: 10_000, maxEntries: 8, maxTailBytes: 64 * 1024 };

/** Hocuspocus's message type and y-protocols' sync steps (their enums are not erasable syntax). */
const messageSync = 0;
const syncStep2 = 1;
const syncUpdate = 2;

interface Entry {
  /** Answers by state vector, as of the encode. */
  updates: Map<string, Uint8Array>;
  /** Step 2 frames by routing key + state vector. */
  frames: Map<string, Uint8Array>;
  /** The document's updates since the encode, in order, and their size. */
  tail: Uint8Array[];
  tailBytes: number;
  largest: number;
  /** The tail as one update frame per routing key, until the tail grows. */
  tailFrames: Map<string, Uint8Array>;
  timer: NodeJS.Timeout;
  drop: () => void;
}

export class SyncReplyCache {
  private readonly options: SyncReplyCacheOptions;
  private readonly entries = new Map<Y.Doc, Entry>();

  constructor(options: Partial<SyncReplyCacheOptions> = {}) {
    this.options = { ...defaultSyncReplyCacheOptions, ...options };
  }

  /**
   * The frames answering `stateVector` on `document` for a client addressed as `address`: the
   * sync step 2, then (when the document changed since it was encoded) one update with the
   * changes since. Together they hold everything the client lacks.
   */
  frames(document: Y.Doc, address: string, stateVector: Uint8Array): Uint8Array[] {
    const entry = this.entries.get(document) ?? this.open(document);
    const vectorKey = stateVector.byteLength === 1 && stateVector[0] === 0 ? '' : Buffer.from(stateVector).toString('latin1');
    const frameKey = `${address}\0${vectorKey}`;
    let step2 = entry.frames.get(frameKey);
    if (!step2) {
      let update = entry.updates.get(vectorKey);
      if (!update) {
        if (entry.tail.length > 0) {
          // Encoded now, this answer already holds the tail: start a fresh entry for it.
          entry.drop();
          return this.frames(document, address, stateVector);
        }
        update = Y.encodeStateAsUpdate(document, stateVector);
        remember(entry.updates, vectorKey, update, this.options.maxEntries);
        entry.largest = Math.max(entry.largest, update.byteLength);
      }
      step2 = frame(address, syncStep2, update);
      remember(entry.frames, frameKey, step2, this.options.maxEntries);
    }
    if (entry.tail.length === 0) return [step2];
    let tail = entry.tailFrames.get(address);
    if (!tail) {
      tail = frame(address, syncUpdate, entry.tail.length === 1 ? entry.tail[0] : Y.mergeUpdates(entry.tail));
      entry.tailFrames.set(address, tail);
    }
    return [step2, tail];
  }

  /**
   * Takes `update` as `document`'s complete state (the answer to an empty state vector): for an
   * update that was applied to an empty document, which Yjs has encoded already for its update
   * event (a board loaded from storage, a first large paste). Answers cached before it described
   * the empty document and go.
   */
  seed(document: Y.Doc, update: Uint8Array): void {
    this.entries.get(document)?.drop();
    const entry = this.open(document);
    entry.updates.set('', update);
    entry.largest = update.byteLength;
  }

  /** Documents with cached answers (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Drops every cached answer with its listeners and timers; idempotent. */
  clear(): void {
    for (const entry of [...this.entries.values()]) entry.drop();
  }

  private open(document: Y.Doc): Entry {
    const onUpdate = (update: Uint8Array) => {
      entry.tail.push(update);
      entry.tailBytes += update.byteLength;
      entry.tailFrames.clear();
      if (entry.tailBytes > Math.max(this.options.maxTailBytes, entry.largest / 8)) drop();
    };
    const drop = () => {
      clearTimeout(entry.timer);
      document.off('update', onUpdate);
      document.off('destroy', drop);
      if (this.entries.get(document) === entry) this.entries.delete(document);
    };
    const entry: Entry = {
      updates: new Map(),
      frames: new Map(),
      tail: [],
      tailBytes: 0,
      largest: 0,
      tailFrames: new Map(),
      timer: setTimeout(drop, this.options.ttlMs),
      drop,
    };
    entry.timer.unref();
    // The update event fires with the change itself, so nothing can slip between encode and tail.
    document.on('update', onUpdate);
    document.on('destroy', drop);
    this.entries.set(document, entry);
    return entry;
  }
}

function frame(address: string, step: number, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, address);
  encoding.writeVarUint(encoder, messageSync);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

function remember(map: Map<string, Uint8Array>, key: string, value: Uint8Array, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
