/**
 * Crash-safe persistence on @hocuspocus/extension-database.
 *
 * Stock Hocuspocus stores a document on a debounce (up to 10 s), so a crash loses what clients
 * were already told was synced. Here every update is appended to the SQLite log synchronously
 * inside the Y.Doc 'update' event — before Hocuspocus sends the SyncStatus acknowledgement —
 * and the debounced store only compacts (full state written, log trimmed, one transaction).
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
import type { SqliteStore } from '../src/storage/SqliteStore.ts';

export interface PersistenceConfiguration {
  store: SqliteStore;
  logger?: Logger;
  /** Called after each append, with its duration; for metrics. */
  onAppend?: (documentName: string, bytes: number, durationMs: number) => void;
  /** Called after each compaction, with its duration; for metrics. */
  onCompact?: (documentName: string, bytes: number, durationMs: number) => void;
}

/** Rejection Hocuspocus forwards to the provider (`onAuthenticationFailed({ reason })`). */
export const documentLoadFailedReason = 'document-load-failed';

export class Persistence extends Database implements Extension {
  extensionName = 'Persistence';
  private readonly store: SqliteStore;
  private readonly logger: Logger | undefined;
  private readonly hooks: Pick<PersistenceConfiguration, 'onAppend' | 'onCompact'>;
  private readonly listeners = new Map<string, { doc: Y.Doc; listener: (update: Uint8Array) => void }>();

  constructor(configuration: PersistenceConfiguration) {
    super({
      fetch: async ({ documentName }) => this.read(documentName),
      store: async ({ documentName, state }) => this.compact(documentName, state),
    });
    this.store = configuration.store;
    this.logger = configuration.logger;
    this.hooks = { onAppend: configuration.onAppend, onCompact: configuration.onCompact };
  }

  /** Stored state + log replay, merged into one update; throws DocumentLoadError on corrupt bytes. */
  read(documentName: string): Uint8Array | null {
    const { state, updates } = this.store.load(documentName);
    if (state === null && updates.length === 0) return null;
    const doc = new Y.Doc({ gc: true });
    try {
      // Applying each part (rather than Y.mergeUpdates) is what actually detects corrupt bytes.
      if (state) Y.applyUpdate(doc, state);
      for (const update of updates) Y.applyUpdate(doc, update);
      return Y.encodeStateAsUpdate(doc);
    } catch (error) {
      throw new DocumentLoadError(documentName, error);
    } finally {
      doc.destroy();
    }
  }

  override async onLoadDocument(data: onLoadDocumentPayload): Promise<void> {
    try {
      await super.onLoadDocument(data);
    } catch (error) {
      this.logger?.error({ documentName: data.documentName, err: error }, 'document load failed; stored rows left untouched');
      // A plain object without `message`: Hocuspocus then skips its own console logging and
      // sends `reason` to the provider. The document is never created, so nothing empty is stored.
      throw { reason: documentLoadFailedReason };
    }
  }

  async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload): Promise<void> {
    const listener = (update: Uint8Array) => this.append(documentName, update);
    document.on('update', listener);
    this.listeners.set(documentName, { doc: document, listener });
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    const entry = this.listeners.get(documentName);
    entry?.doc.off('update', entry.listener);
    this.listeners.delete(documentName);
    this.store.release(documentName);
  }

  /**
   * Compacts a loaded document now (admin flush, shutdown). A document still loading is skipped:
   * Hocuspocus lists it before its content is read, and its empty state would replace the stored one.
   */
  flush(documentName: string, document: Y.Doc & { isLoading?: boolean }): void {
    if (document.isLoading) return;
    this.compact(documentName, Y.encodeStateAsUpdate(document));
  }

  private append(documentName: string, update: Uint8Array): void {
    const started = performance.now();
    // A throw here propagates out of Y.applyUpdate, so Hocuspocus closes that connection
    // without acknowledging: the client keeps the update as unsynced and sends it again.
    this.store.append(documentName, update);
    this.hooks.onAppend?.(documentName, update.byteLength, performance.now() - started);
  }

  private compact(documentName: string, state: Uint8Array): void {
    if (!this.store.isOpen) return;
    const started = performance.now();
    this.store.compact(documentName, state);
    this.hooks.onCompact?.(documentName, state.byteLength, performance.now() - started);
  }
}
