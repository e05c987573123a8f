/**
 * A connection may only set the awareness states it owns, and own only a few.
 *
 * Yjs awareness trusts every peer: any client can write a state under another client's id
 * (moving someone else's cursor, renaming them) or invent thousands of ids that every peer then
 * stores and renders. Hocuspocus tracks which client ids each connection introduced; this hook
 * drops entries for ids another connection owns, and new ids beyond `maxClientsPerConnection`,
 * before the update is applied or broadcast. (Removals are not forwarded by Hocuspocus at all:
 * an id's states leave when its connection closes.) The socket guard already refuses frames
 * with more entries than that, so the decode this hook runs on is small.
 */
import type { Connection, Extension, beforeHandleAwarenessPayload } from '@hocuspocus/server';
import { DecodedAwarenessStates } from '../src/hocuspocus/awarenessEntries.ts';
import type { Logger } from '../src/logger.ts';

export interface AwarenessOwnershipConfiguration {
  /**
   * Awareness client ids one connection may own (a provider uses one per document).
   * @default 4 (`MAX_AWARENESS_CLIENTS`)
   */
  maxClientsPerConnection: number;
  logger?: Logger;
}

export const defaultAwarenessOwnershipConfiguration: AwarenessOwnershipConfiguration = {
  maxClientsPerConnection: 4,
};

export class AwarenessOwnership implements Extension {
  extensionName = 'AwarenessOwnership';
  readonly configuration: Readonly<AwarenessOwnershipConfiguration>;

  constructor(configuration: Partial<AwarenessOwnershipConfiguration> = {}) {
    this.configuration = Object.freeze({ ...defaultAwarenessOwnershipConfiguration, ...configuration });
  }

  async beforeHandleAwareness({ document, states, connection }: beforeHandleAwarenessPayload): Promise<void> {
    if (!connection) return; // the server's own updates (Redis, extensions) are trusted
    const own = document.getClients(connection);
    let claimed = own.size;
    const dropped: number[] = [];
    const scratchId = scratchEntry(states);
    if (scratchId !== undefined) states.delete(scratchId);
    for (const clientId of states.keys()) {
      if (own.has(clientId)) continue;
      if (ownedByOther(document.getConnections(), connection, clientId) || claimed >= this.configuration.maxClientsPerConnection) {
        dropped.push(clientId);
      } else {
        claimed += 1;
      }
    }
    for (const clientId of dropped) states.delete(clientId);
    if (dropped.length > 0) {
      this.configuration.logger?.debug(
        { event: 'awareness_dropped', documentName: document.name, socketId: connection.socketId, clients: dropped.length },
        'awareness entries for client ids this connection does not own were dropped',
      );
    }
  }
}

/**
 * Stock Hocuspocus (4.7) decodes each awareness frame into a scratch `Awareness`, whose
 * constructor puts its own random client id first in the map with an empty state at clock 0.
 * Receivers ignore it (clock 0 never wins), but it is no client's entry: it must not count as a
 * claim. The server's fast path (src/hocuspocus/installAwarenessFastPath.ts) has none.
 */
function scratchEntry(states: Map<number, Record<string, unknown>>): number | undefined {
  if (states instanceof DecodedAwarenessStates) return undefined;
  const first = states.entries().next();
  if (first.done) return undefined;
  const [clientId, state] = first.value;
  return state !== null && typeof state === 'object' && Object.keys(state).length === 0 ? clientId : undefined;
}

function ownedByOther(connections: Connection[], self: Connection, clientId: number): boolean {
  for (const connection of connections) {
    if (connection !== self && connection.document.getClients(connection).has(clientId)) return true;
  }
  return false;
}
