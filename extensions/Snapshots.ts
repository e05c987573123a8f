/**
 * Whiteboard snapshots: automatic (on an interval and when a session ends), on demand, and the
 * forward restore.
 *
 * A restore never swaps stored bytes: connected and offline providers would merge the newer
 * items straight back. It computes the edit that turns the live content into the snapshot's
 * (`restoreDocument`) and applies it to the live document through a direct connection, so
 * Hocuspocus broadcasts it like any edit and Persistence appends it to the update log before
 * `restore` returns: durable at once, and a provider that was offline receives the deletions
 * when it syncs.
 */
import { EventEmitter } from 'node:events';
import type {
  Extension,
  Hocuspocus,
  LocalTransactionOrigin,
  afterUnloadDocumentPayload,
  onChangePayload,
  onConfigurePayload,
  onDisconnectPayload,
  onRequestPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Authenticator } from '../src/auth.ts';
import { NotFoundError, describe } from '../src/errors.ts';
import { handleSnapshotRequest } from '../src/http/snapshotRoutes.ts';
import type { Logger } from '../src/logger.ts';
import { restoreDocument } from '../src/restoreDocument.ts';
import { loggedOrigin, type Persistence } from './Persistence.ts';
import { stateHash } from '../src/stateHash.ts';
import type { Snapshot, NewSnapshot, SnapshotMeta, SnapshotReason } from '../src/storage/SnapshotStore.ts';
import type { SnapshotRows, Store } from '../src/storage/Store.ts';

/** What the session's tutor room receives after a restore. */
export interface WhiteboardRestoredMessage {
  type: 'whiteboard.restored';
  snapshotId: number;
  by: string;
  [field: string]: unknown;
}

export interface SnapshotsConfiguration {
  /** The server's store; snapshot rows live beside the documents. */
  store: Store;
  /**
   * Reads a document that is not loaded (stored state plus update log, as one update); logs a
   * restore's edit before it is applied.
   */
  persistence: Pick<Persistence, 'read' | 'append' | 'applied'>;
  /** Verifies admin tokens for the HTTP API; without one the API is not served (offline CLI). */
  authenticator?: Authenticator;
  /**
   * Period of the automatic snapshot sweep, in milliseconds; 0 turns it off.
   * @default 300000 (5 minutes, `SNAPSHOT_INTERVAL_MS`)
   */
  intervalMs: number;
  /**
   * Automatic (`auto`, `session-end`) snapshots kept per session, newest first.
   * @default 100 (`SNAPSHOT_KEEP`)
   */
  keep: number;
  logger?: Logger;
  /** Tells the session's tutor room about a restore; failures are logged, never fail the restore. */
  notify?: (sessionId: string, message: WhiteboardRestoredMessage) => void;
}

export const defaultSnapshotsConfiguration = {
  intervalMs: 300_000,
  keep: 100,
} satisfies Partial<SnapshotsConfiguration>;

export interface RestoreResult {
  restoredFrom: number;
  preRestoreSnapshotId: number;
  /** False when the live content already equalled the snapshot's (nothing was applied). */
  changed: boolean;
}

/** The `by` of automatic snapshots. */
export const systemUser = 'system';

/**
 * Emits `snapshot` (SnapshotMeta, durationMs) whenever a row is stored; the duration covers
 * encoding the state and writing the row, for the snapshot duration histogram.
 */
export class Snapshots extends EventEmitter implements Extension {
  extensionName = 'Snapshots';
  readonly configuration: Readonly<SnapshotsConfiguration>;
  /** Resolves once `onConfigure` has run (Hocuspocus runs it a microtask after construction). */
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};
  private instance: Hocuspocus | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Loaded documents changed since their last snapshot. */
  private readonly changed = new Set<string>();

  constructor(configuration: Partial<SnapshotsConfiguration> & Pick<SnapshotsConfiguration, 'store' | 'persistence'>) {
    super();
    this.configuration = Object.freeze({ ...defaultSnapshotsConfiguration, ...configuration });
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    if (this.instance) return;
    this.instance = instance;
    // One timer for the whole server, not one per document.
    if (this.configuration.intervalMs > 0) {
      this.timer = setInterval(() => void this.snapshotChanged(), this.configuration.intervalMs);
      this.timer.unref();
    }
    this.markReady();
  }

  async onChange({ documentName }: onChangePayload): Promise<void> {
    this.changed.add(documentName);
  }

  /** The last client left: keep how the board looked at the end of the session. */
  async onDisconnect({ documentName, document, clientsCount, socketId }: onDisconnectPayload): Promise<void> {
    // socketId "server" is our own direct connection (a restore or a snapshot of a document
    // nobody has open), not a session ending.
    if (clientsCount > 0 || socketId === 'server' || !this.changed.has(documentName)) return;
    await this.takeAutomatic(documentName, document, 'session-end');
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    this.changed.delete(documentName);
  }

  async onRequest({ request, response }: onRequestPayload): Promise<void> {
    const { authenticator } = this.configuration;
    if (!authenticator) return;
    // Hocuspocus convention: rejecting with null means "answered, stop here".
    if (await handleSnapshotRequest(request, response, { snapshots: this, authenticator, logger: this.configuration.logger })) throw null;
  }

  async onDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.changed.clear();
  }

  /** Whether anything is known about the session: a loaded or stored document, or snapshots. */
  async exists(sessionId: string): Promise<boolean> {
    return Boolean(this.instance?.documents.has(sessionId)) || (await this.configuration.store.exists(sessionId)) || (await this.store.hasAny(sessionId));
  }

  /** Newest first; NotFoundError for an unknown session. */
  async list(sessionId: string): Promise<SnapshotMeta[]> {
    const rows = await this.store.list(sessionId);
    if (rows.length === 0 && !(await this.exists(sessionId))) throw unknownSession(sessionId);
    return rows;
  }

  async get(sessionId: string, snapshotId: number): Promise<Snapshot> {
    const snapshot = await this.store.get(sessionId, snapshotId);
    if (!snapshot) throw unknownSnapshot(sessionId, snapshotId);
    return snapshot;
  }

  /** A manual snapshot of the current content; works whether or not the document is loaded. */
  async create(sessionId: string, options: { label?: string | null; createdBy: string }): Promise<SnapshotMeta> {
    const live = this.instance?.documents.get(sessionId);
    if (live && !live.isLoading) return (await this.take(sessionId, live, 'manual', options.createdBy, options.label)).snapshot;
    const stored = await this.configuration.persistence.read(sessionId);
    if (stored === null) throw unknownSession(sessionId);
    const doc = new Y.Doc();
    try {
      Y.applyUpdate(doc, stored);
      return (await this.take(sessionId, doc, 'manual', options.createdBy, options.label)).snapshot;
    } finally {
      doc.destroy();
    }
  }

  /**
   * Computes the forward edit on a copy of the live document, then commits a `pre-restore`
   * snapshot and the edit to the update log in one transaction, and only then applies
   * the edit to the live document (log-before-apply, like clients' updates). An unknown
   * snapshot or an edit that cannot be computed fails before anything is stored; a failed
   * commit leaves the live board untouched.
   */
  async restore(sessionId: string, snapshotId: number, by: string): Promise<RestoreResult> {
    const snapshot = await this.get(sessionId, snapshotId);
    const target = new Y.Doc();
    Y.applyUpdate(target, snapshot.state);
    const connection = await this.hocuspocus.openDirectConnection(sessionId, { snapshotRestore: { snapshotId, by } });
    let result: RestoreResult;
    try {
      const doc = connection.document!;
      const origin: LocalTransactionOrigin = { source: 'local', context: { snapshotRestore: { snapshotId, by } } };
      const edit = forwardEdit(doc, target, origin);
      const started = performance.now();
      const { persistence } = this.configuration;
      // Not `take`: the row is announced only once the transaction has committed.
      const pre = await this.configuration.store.commitRestore(this.row(sessionId, doc, 'pre-restore', by, `before restoring snapshot ${snapshotId}`), edit);
      if (pre.created) this.emit('snapshot', pre.snapshot, performance.now() - started);
      if (edit) {
        Y.applyUpdate(doc, edit, loggedOrigin(origin));
        persistence.applied(sessionId, pre.logId!);
      }
      result = { restoredFrom: snapshotId, preRestoreSnapshotId: pre.snapshot.id, changed: edit !== undefined };
    } finally {
      target.destroy();
      // With clients connected the usual debounced compaction follows; the edit is already in
      // the log. A document only this restore loaded is compacted and unloaded right away.
      const others = (connection.document?.getConnectionsCount() ?? 1) - 1;
      await connection.disconnect({ unloadImmediately: others === 0 });
    }
    this.configuration.logger?.info({ event: 'snapshot_restored', sessionId, snapshotId, by, ...result }, 'whiteboard restored');
    try {
      this.configuration.notify?.(sessionId, { type: 'whiteboard.restored', snapshotId, by });
    } catch (error) {
      this.configuration.logger?.warn({ sessionId, err: describe(error) }, 'restore notification failed');
    }
    return result;
  }

  async delete(sessionId: string, snapshotId: number): Promise<void> {
    if (!(await this.store.delete(sessionId, snapshotId))) throw unknownSnapshot(sessionId, snapshotId);
  }

  /** The interval sweep: one `auto` snapshot per loaded document changed since its last one. */
  async snapshotChanged(): Promise<void> {
    for (const name of [...this.changed]) {
      const document = this.instance?.documents.get(name);
      if (!document) this.changed.delete(name);
      else if (!document.isLoading) await this.takeAutomatic(name, document, 'auto');
    }
  }

  private async takeAutomatic(sessionId: string, doc: Y.Doc, reason: SnapshotReason): Promise<void> {
    this.changed.delete(sessionId);
    try {
      const { snapshot, created } = await this.take(sessionId, doc, reason, systemUser);
      if (!created) return;
      const pruned = await this.store.prune(sessionId, this.configuration.keep);
      this.configuration.logger?.debug({ event: 'snapshot_created', ...snapshot, pruned }, 'snapshot stored');
    } catch (error) {
      // Try again on the next sweep; the document itself is safe in the update log.
      this.changed.add(sessionId);
      this.configuration.logger?.error({ sessionId, reason, err: describe(error) }, 'automatic snapshot failed');
    }
  }

  /** Encodes and stores (or dedupes) a snapshot of `doc`, and announces a new row with its duration. */
  private async take(
    sessionId: string,
    doc: Y.Doc,
    reason: SnapshotReason,
    createdBy: string,
    label?: string | null,
  ): Promise<{ snapshot: SnapshotMeta; created: boolean }> {
    const started = performance.now();
    const outcome = await this.store.create(this.row(sessionId, doc, reason, createdBy, label));
    if (outcome.created) this.emit('snapshot', outcome.snapshot, performance.now() - started);
    return outcome;
  }

  private row(sessionId: string, doc: Y.Doc, reason: SnapshotReason, createdBy: string, label?: string | null): NewSnapshot {
    return { sessionId, reason, createdBy, label, state: Y.encodeStateAsUpdate(doc), contentHash: stateHash(doc) };
  }

  private get store(): SnapshotRows {
    return this.configuration.store.snapshots;
  }

  private get hocuspocus(): Hocuspocus {
    if (!this.instance) throw new Error('Snapshots used before onConfigure');
    return this.instance;
  }
}

function unknownSession(sessionId: string): NotFoundError {
  return new NotFoundError(`no whiteboard or snapshots for session "${sessionId}"`, 'session_not_found');
}

function unknownSnapshot(sessionId: string, snapshotId: number): NotFoundError {
  return new NotFoundError(`no snapshot ${snapshotId} in session "${sessionId}"`, 'snapshot_not_found');
}

/**
 * The update that turns `live` into `target`'s content, computed on a copy so that nothing
 * touches the live document before the update is logged; undefined when they already match.
 */
function forwardEdit(live: Y.Doc, target: Y.Doc, origin: LocalTransactionOrigin): Uint8Array | undefined {
  const copy = new Y.Doc({ gc: live.gc });
  const updates: Uint8Array[] = [];
  try {
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(live));
    copy.on('update', (update: Uint8Array) => updates.push(update));
    const { changed } = restoreDocument(copy, target, origin);
    if (!changed || updates.length === 0) return undefined;
    return updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
  } finally {
    copy.destroy();
  }
}
