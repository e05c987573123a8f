/**
 * An extension for tests that turns Hocuspocus's document lifecycle into events to wait on.
 */
import { EventEmitter } from 'node:events';
import type { Extension, afterUnloadDocumentPayload } from '@hocuspocus/server';
import { nextEvent } from './waitFor.ts';

export class DocumentEvents extends EventEmitter implements Extension {
  extensionName = 'DocumentEvents';

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    this.emit('unloaded', documentName);
  }

  /** Resolves once `documentName` has been unloaded (its last store has run). */
  unloaded(documentName: string, ms = 10_000): Promise<unknown> {
    return nextEvent(this, 'unloaded', (name) => name === documentName, ms);
  }
}
