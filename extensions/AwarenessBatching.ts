/**
 * Outgoing awareness (cursors, selections, names) batched per document over a short window,
 * while document updates still go out every loop turn: in a room of N clients the sends per
 * second no longer grow with N × how often each cursor moves, only with N × 1/window.
 * Each client's latest state is sent once per window, so nothing is lost but intermediate
 * positions; cursors reach others at most `flushMs` later, sooner when a document update goes
 * out first (they ride along with it). See src/hocuspocus/installAwarenessWindow.ts.
 */
import type { Extension, afterLoadDocumentPayload } from '@hocuspocus/server';
import { installAwarenessWindow, setAwarenessWindow } from '../src/hocuspocus/installAwarenessWindow.ts';

export interface AwarenessBatchingConfiguration {
  /**
   * Window over which a document's outgoing awareness changes are collected, in milliseconds;
   * 0 sends them with the document's updates every loop turn (stock Hocuspocus).
   * @default 50 (`AWARENESS_FLUSH_MS`)
   */
  flushMs: number;
}

export const defaultAwarenessBatchingConfiguration: AwarenessBatchingConfiguration = {
  flushMs: 50,
};

export class AwarenessBatching implements Extension {
  extensionName = 'AwarenessBatching';
  readonly configuration: Readonly<AwarenessBatchingConfiguration>;

  constructor(configuration: Partial<AwarenessBatchingConfiguration> = {}) {
    this.configuration = Object.freeze({ ...defaultAwarenessBatchingConfiguration, ...configuration });
    // Throws if @hocuspocus/server's code changed under the replacement.
    if (this.configuration.flushMs > 0) installAwarenessWindow();
  }

  async afterLoadDocument({ document }: afterLoadDocumentPayload): Promise<void> {
    if (this.configuration.flushMs > 0) setAwarenessWindow(document, this.configuration.flushMs);
  }
}
