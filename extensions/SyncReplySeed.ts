/**
 * The first join answer of a board comes for free: when an update is applied to an empty
 * document (the stored state loaded into a new one, a board's first large paste), the update
 * Yjs emits for it is the document's complete state, already encoded. It becomes the cached
 * answer to an empty state vector (SyncReplyCache), so the first joiners of a board just loaded
 * from storage are not held up by an encode of the whole board (≈13 ms per MB, in one piece).
 *
 * Runs its onLoadDocument before Persistence's (priority), so that the load is seen.
 */
import type { Extension, onLoadDocumentPayload } from '@hocuspocus/server';
import type { Transaction } from 'yjs';
import type * as Y from 'yjs';
import type { SyncReplyCache } from '../src/hocuspocus/SyncReplyCache.ts';

export interface SyncReplySeedConfiguration {
  /** The cache the server's sync step 1 answers come from (`installSyncReplyCache().cache`). */
  cache: SyncReplyCache;
}

export class SyncReplySeed implements Extension {
  extensionName = 'SyncReplySeed';
  /** Before Persistence (100), whose onLoadDocument applies the stored state. */
  priority = 200;
  private readonly cache: SyncReplyCache;

  constructor(configuration: SyncReplySeedConfiguration) {
    this.cache = configuration.cache;
  }

  async onLoadDocument({ document }: onLoadDocumentPayload): Promise<void> {
    // The listener goes with the document (Y.Doc.destroy drops its observers).
    document.on('update', (update: Uint8Array, _origin: unknown, doc: Y.Doc, transaction: Transaction) => {
      // An empty state vector before the transaction: nothing existed, so this update is everything.
      if (transaction.beforeState.size === 0) this.cache.seed(doc, update);
    });
  }
}
