/**
 * Crash-safe persistence on @hocuspocus/extension-database.
 *
 * Stock Hocuspocus stores a document on a debounce (up to 10 s), so a crash loses what clients
 * were already told was synced. Here every update is in the store's log before it is applied:
 * a client's update is logged by `DurableUpdates` before Hocuspocus applies and acknowledges it
 * (log-before-apply), and an update that does not come from a client (a restore) is logged by
 * whoever makes it, marked with `loggedOrigin`. The debounced store only compacts (full state
 * written, log trimmed, one transaction), and never trims an entry that is logged but not yet
 * applied.
 */
import type {
  Extension,
  afterLoadDocumentPayload,
  afterUnloadDocumentPayload,
  onLoadDocumentPayload,
} from '@hocuspocus/server';
import { Database } from '@hocuspocus/extension-database';
import * as Y from 'yjs';
import { DocumentLoadError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import type { Store } from '../src/storage/Store.ts';
import type { StorageHealth } from '../src/storage/StorageHealth.ts';

export interface PersistenceConfiguration {
  store: Store;
  /** Told about every failed and every successful write. */
  health?: StorageHealth;
  logger?: Logger;
  /** Called after each append, with its duration; for metrics. */
  onAppend?: (documentName: string, bytes: number, durationMs: number) => void;
  /** Called after each compaction, with its duration; for metrics. */
  onCompact?: (documentName: string, bytes: number, durationMs: number) => void;
}

/** Rejection Hocuspocus forwards to the provider (`onAuthenticationFailed({ reason })`). */
export const documentLoadFailedReason = 'document-load-failed';

const logged = Symbol('tutorboard.logged');

/**
 * A transaction origin for an update its maker has already appended to the log; Persistence
 * does not append it again.
 */
export function loggedOrigin<T extends object>(origin: T): T {
  return Object.assign(origin, { [logged]: true });
}

function isLogged(origin: unknown): boolean {
  if (typeof origin !== 'object' || origin === null) return false;
  // Clients' updates are logged by DurableUpdates before Hocuspocus applies them; updates from
  // another instance (through Redis) were logged by the instance that received them.
  const source = (origin as { source?: unknown }).source;
  return source === 'connection' || source === 'redis' || logged in origin;
}

interface DocumentLog {
  doc: Y.Doc;
  listener: (update: Uint8Array, origin: unknown) => void;
  /** Stored state plus logged updates, in bytes: what the board costs on disk until compaction. */
  bytes: number;
  /** Log ids appended but not yet applied to the document: compaction must not trim them. */
  unapplied: Set<number>;
}

export class Persistence extends Database implements Extension {
  extensionName = 'Persistence';
  private readonly store: Store;
  private readonly health: StorageHealth | undefined;
  private readonly logger: Logger | undefined;
  private readonly hooks: Pick<PersistenceConfiguration, 'onAppend' | 'onCompact'>;
  private readonly logs = new Map<string, DocumentLog>();
  /** Sizes measured by `read`, picked up when the document finishes loading. */
  private readonly loadedBytes = new Map<string, number>();

  constructor(configuration: PersistenceConfiguration) {
    super({
      fetch: async ({ documentName }) => this.read(documentName),
      store: async ({ documentName, state }) => this.compact(documentName, state),
    });
    this.store = configuration.store;
    this.health = configuration.health;
    this.logger = configuration.logger;
    this.hooks = { onAppend: configuration.onAppend, onCompact: configuration.onCompact };
  }

  /** Stored state + log replay, merged into one update; rejects with DocumentLoadError on corrupt bytes. */
  async read(documentName: string): Promise<Uint8Array | null> {
    const { state, updates } = await this.store.load(documentName);
    if (state === null && updates.length === 0) return null;
    const doc = new Y.Doc({ gc: true });
    try {
      // Applying each part (rather than Y.mergeUpdates) is what actually detects corrupt bytes.
      let bytes = state?.byteLength ?? 0;
      if (state) Y.applyUpdate(doc, state);
      for (const update of updates) {
        Y.applyUpdate(doc, update);
        bytes += update.byteLength;
      }
      this.loadedBytes.set(documentName, bytes);
      return Y.encodeStateAsUpdate(doc);
    } catch (error) {
      throw new DocumentLoadError(documentName, error);
    } finally {
      doc.destroy();
    }
  }

  /**
   * Loads straight into the new document: stored state, then the log, in one transaction. (The
   * Database extension's way, via `read`, decodes everything twice: into a scratch document,
   * re-encoded, then into this one.) Corrupt bytes fail the load, and Hocuspocus then discards
   * the half-filled document, so nothing of it is ever stored.
   */
  override async onLoadDocument({ document, documentName }: onLoadDocumentPayload): Promise<void> {
    try {
      const { state, updates } = await this.store.load(documentName);
      let bytes = state?.byteLength ?? 0;
      document.transact(() => {
        if (state) Y.applyUpdate(document, state);
        for (const update of updates) {
          Y.applyUpdate(document, update);
          bytes += update.byteLength;
        }
      });
      this.loadedBytes.set(documentName, bytes);
    } catch (error) {
      this.logger?.error({ documentName, err: new DocumentLoadError(documentName, error) }, 'document load failed; stored rows left untouched');
      // A plain object without `message`: Hocuspocus then skips its own console logging and
      // sends `reason` to the provider. The document is never created, so nothing empty is stored.
      throw { reason: documentLoadFailedReason };
    }
  }

  async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload): Promise<void> {
    const listener = (update: Uint8Array, origin: unknown) => this.onUpdate(documentName, update, origin);
    document.on('update', listener);
    const bytes = this.loadedBytes.get(documentName) ?? 0;
    this.loadedBytes.delete(documentName);
    this.logs.set(documentName, { doc: document, listener, bytes, unapplied: new Set() });
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    const entry = this.logs.get(documentName);
    entry?.doc.off('update', entry.listener);
    this.logs.delete(documentName);
    this.store.release(documentName);
  }

  /**
   * Appends an update to a loaded document's log before it is applied; committed when the
   * promise resolves. Call `applied(documentName, id)` once it is in the document. Rejects (and
   * tells the health tracker) when the store refuses the write.
   */
  async append(documentName: string, update: Uint8Array): Promise<number> {
    const started = performance.now();
    let id: number;
    try {
      id = await this.store.append(documentName, update);
    } catch (error) {
      this.health?.failed('append', error);
      throw error;
    }
    this.health?.succeeded();
    const entry = this.logs.get(documentName);
    if (entry) {
      entry.bytes += update.byteLength;
      entry.unapplied.add(id);
    }
    this.hooks.onAppend?.(documentName, update.byteLength, performance.now() - started);
    return id;
  }

  /** The update logged as `id` is now part of the document (or was refused): compaction may trim it. */
  applied(documentName: string, id: number): void {
    this.logs.get(documentName)?.unapplied.delete(id);
  }

  /** What a loaded board costs in storage now (compacted state + log), in bytes; an upper bound of its state. */
  storedBytes(documentName: string): number {
    return this.logs.get(documentName)?.bytes ?? 0;
  }

  /**
   * Compacts a loaded document now (admin flush, shutdown, size check). A document still
   * loading is skipped: Hocuspocus lists it before its content is read, and its empty state
   * would replace the stored one.
   */
  async flush(documentName: string, document: Y.Doc & { isLoading?: boolean }): Promise<void> {
    if (document.isLoading) return;
    await this.compact(documentName, Y.encodeStateAsUpdate(document));
  }

  /** An update nobody logged before applying it (none today; a safety net for extensions) is appended here. */
  private onUpdate(documentName: string, update: Uint8Array, origin: unknown): void {
    if (isLogged(origin)) return;
    // Applied already (the event fires after the transaction), so nothing waits for the commit.
    // Never throw inside a Y.Doc event: Yjs would be left mid-transaction and the document
    // would stop emitting updates. A failed append is stored by the debounced compaction later.
    this.append(documentName, update).then(
      (id) => this.applied(documentName, id),
      (error: unknown) => this.logger?.error({ documentName, err: error }, 'an update with no client could not be logged; compaction will store it'),
    );
  }

  private async compact(documentName: string, state: Uint8Array): Promise<void> {
    if (!this.store.isOpen) return;
    const started = performance.now();
    const entry = this.logs.get(documentName);
    const upTo = entry && entry.unapplied.size > 0 ? Math.min(...entry.unapplied) - 1 : undefined;
    let pendingBytes = 0;
    try {
      await this.store.compact(documentName, state, upTo);
      if (upTo !== undefined) pendingBytes = (await this.store.pending(documentName)).bytes;
    } catch (error) {
      this.health?.failed('compact', error);
      throw error;
    }
    this.health?.succeeded();
    if (entry) entry.bytes = state.byteLength + pendingBytes;
    this.hooks.onCompact?.(documentName, state.byteLength, performance.now() - started);
  }
}
