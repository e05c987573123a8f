/**
 * Log-before-apply for clients' whiteboard updates, and the `saved` receipt clients can rely on.
 *
 * Hocuspocus awaits `beforeHandleMessage` before it applies a frame and sends the SyncStatus
 * acknowledgement. Here the frame's Yjs update is checked and committed to the log first; a
 * connection whose update cannot be committed is switched to read-only at once (so Hocuspocus
 * neither applies nor acknowledges it, nor anything after it) and its socket is closed with
 * 4503: the provider keeps the update as unsynced and sends it again when it reconnects. The
 * document itself never sees a failed write, so it stays healthy for every other client.
 *
 * `saved` receipts: a client sends the stateless message `{"type":"save","id":…}`; because a
 * connection's frames are handled strictly in order and each update is committed before the
 * next frame, the answer `{"type":"saved","id":…}` means every update the client sent before
 * the request is durable. After a reconnect the answer waits for the client's sync step 2 (its
 * reply to the server's state vector, which carries all it has), so a request that was queued
 * while offline is answered only when the offline work is in.
 */
import {
  OutgoingMessage,
  type Connection,
  type Extension,
  type afterHandleMessagePayload,
  type beforeHandleMessagePayload,
  type onStatelessPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import { CloseCode } from '../src/closeCodes.ts';
import type { Logger } from '../src/logger.ts';
import { documentUpdateOf, isEmptyUpdate, SyncStep, type DocumentUpdate } from '../src/whiteboard/frames.ts';
import { parseSaveRequest, type SaveReply } from '../src/whiteboard/saveProtocol.ts';
import type { WhiteboardContext } from '../src/whiteboard/WhiteboardContext.ts';

export interface DurableUpdatesConfiguration {
  /** Appends to the update log (committed when the promise resolves) and is told when the update is applied. */
  persistence: {
    append(documentName: string, update: Uint8Array): Promise<number>;
    applied(documentName: string, id: number): void;
    storedBytes(documentName: string): number;
    flush(documentName: string, document: Y.Doc): Promise<void>;
  };
  /**
   * Largest a board may grow, in bytes of stored Yjs state. An update that would take it past
   * this is refused for good on that connection (read-only, with the reason), not retried.
   * @default 16777216 (16 MiB, `MAX_BOARD_BYTES`)
   */
  maxBoardBytes: number;
  logger?: Logger;
  /** Called with `storage_unavailable`, `invalid_update` or `board_too_large` for each refused update; for metrics. */
  onRefused?: (reason: RefusalCode) => void;
}

export const defaultDurableUpdatesConfiguration = {
  maxBoardBytes: 16 * 1024 * 1024,
} satisfies Partial<DurableUpdatesConfiguration>;

export type RefusalCode = 'storage_unavailable' | 'invalid_update' | 'board_too_large' | 'read_only';

interface ConnectionState {
  /** The log id of the update being handled now, until it is applied. */
  logId?: number;
  /** The client's sync step 2 has been handled: it has sent all it had when it connected. */
  clientSynced: boolean;
  /** Save requests waiting for that step 2 (at most `maxWaitingSaves`). */
  waitingSaves: Array<string | number>;
  refused?: { code: RefusalCode; message: string };
}

/** Save requests one connection may leave waiting for its sync; older ones are answered at once as superseded. */
const maxWaitingSaves = 16;

export class DurableUpdates implements Extension {
  extensionName = 'DurableUpdates';
  readonly configuration: Readonly<DurableUpdatesConfiguration>;
  private readonly connections = new WeakMap<Connection, ConnectionState>();

  constructor(configuration: Partial<DurableUpdatesConfiguration> & Pick<DurableUpdatesConfiguration, 'persistence'>) {
    this.configuration = Object.freeze({ ...defaultDurableUpdatesConfiguration, ...configuration });
  }

  async beforeHandleMessage(data: beforeHandleMessagePayload<WhiteboardContext>): Promise<void> {
    const { connection, documentName, document, context } = data;
    if (connection.readOnly) return;
    let found: DocumentUpdate | undefined;
    try {
      found = documentUpdateOf(data.update);
      if (found !== undefined && !isEmptyUpdate(found.update)) Y.decodeUpdate(found.update);
    } catch {
      // Never logged: a row that cannot be decoded would make the board unloadable.
      this.close(connection, context, 'invalid_update', CloseCode.InvalidPayload, 'invalid Yjs update');
      return;
    }
    if (found === undefined) return;
    const { update, step } = found;
    const state = this.state(connection);
    // A sync step 2 from the client (its first reply) carries everything it had on connecting.
    state.clientSynced ||= step === SyncStep.Two;
    if (isEmptyUpdate(update)) return;
    if (await this.wouldOverflow(documentName, document, update)) {
      this.refuse(connection, documentName, update.byteLength);
      return;
    }
    try {
      state.logId = await this.configuration.persistence.append(documentName, update);
    } catch {
      // StorageHealth has logged the cause; the client sends this update again on reconnect.
      this.close(connection, context, 'storage_unavailable', CloseCode.StorageUnavailable, 'storage unavailable; reconnect to resend');
    }
  }

  async afterHandleMessage({ connection, documentName }: afterHandleMessagePayload<WhiteboardContext>): Promise<void> {
    const state = this.connections.get(connection);
    if (!state) return;
    if (state.logId !== undefined) {
      this.configuration.persistence.applied(documentName, state.logId);
      state.logId = undefined;
    }
    if (state.clientSynced && state.waitingSaves.length > 0) {
      for (const id of state.waitingSaves.splice(0)) this.answer(connection, id, Y.encodeStateVector(connection.document));
    }
  }

  async onStateless({ connection, payload, document }: onStatelessPayload): Promise<void> {
    const request = parseSaveRequest(payload);
    if (!request) return;
    const state = this.state(connection);
    if (state.refused || connection.readOnly) {
      const { code, message } = state.refused ?? { code: 'read_only' as const, message: 'this connection may not edit the board' };
      reply(connection, { type: 'save_refused', id: request.id, code, message });
    } else if (!state.clientSynced) {
      if (state.waitingSaves.length >= maxWaitingSaves) {
        reply(connection, { type: 'save_refused', id: state.waitingSaves.shift()!, code: 'superseded', message: 'a newer save request replaced this one' });
      }
      state.waitingSaves.push(request.id);
    } else {
      this.answer(connection, request.id, Y.encodeStateVector(document));
    }
  }

  private answer(connection: Connection, id: string | number, stateVector: Uint8Array): void {
    reply(connection, { type: 'saved', id, stateVector: Buffer.from(stateVector).toString('base64') });
  }

  private state(connection: Connection): ConnectionState {
    let state = this.connections.get(connection);
    if (!state) {
      state = { clientSynced: false, waitingSaves: [] };
      this.connections.set(connection, state);
    }
    return state;
  }

  /**
   * The log overcounts until compaction (an update that repeats known content still costs its
   * bytes), so a board near the cap is compacted and the update's new part measured before refusing.
   */
  private async wouldOverflow(documentName: string, document: Y.Doc, update: Uint8Array): Promise<boolean> {
    const { persistence, maxBoardBytes } = this.configuration;
    if (persistence.storedBytes(documentName) + update.byteLength <= maxBoardBytes) return false;
    try {
      await persistence.flush(documentName, document);
    } catch {
      return false; // the append right after meets the same storage fault and closes the socket
    }
    const novel = Y.diffUpdate(update, Y.encodeStateVector(document)).byteLength;
    return persistence.storedBytes(documentName) + novel > maxBoardBytes;
  }

  /** Read-only for the rest of this connection: Hocuspocus answers its updates with SyncStatus(false). */
  private refuse(connection: Connection, documentName: string, bytes: number): void {
    const { maxBoardBytes, logger, onRefused } = this.configuration;
    const message = `the board would grow past MAX_BOARD_BYTES (${maxBoardBytes} bytes); this connection is read-only now`;
    connection.readOnly = true;
    this.state(connection).refused = { code: 'board_too_large', message };
    onRefused?.('board_too_large');
    logger?.warn({ event: 'update_refused', reason: 'board_too_large', documentName, bytes, maxBoardBytes }, 'whiteboard update refused');
    // The provider reports a permission-denied message through onAuthenticationFailed({ reason }).
    connection.send(new OutgoingMessage(connection.messageAddress).writePermissionDenied(`board_too_large: ${message}`).toUint8Array());
    reply(connection, { type: 'refused', code: 'board_too_large', message });
  }

  private close(connection: Connection, context: WhiteboardContext, code: RefusalCode, closeCode: number, reason: string): void {
    // Read-only before anything else: Hocuspocus then neither applies nor acknowledges this
    // frame or any frame still queued behind it.
    connection.readOnly = true;
    this.state(connection).refused = { code, message: reason };
    this.configuration.onRefused?.(code);
    context.closeSocket(closeCode, reason);
  }
}

function reply(connection: Connection, message: SaveReply): void {
  connection.sendStateless(JSON.stringify(message));
}
