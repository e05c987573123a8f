/**
 * The session admin API's view of the cluster: every instance answers about its own connections,
 * documents and rooms (`admin.*` questions on the bus), and this merges the answers. With the
 * local bus that is this instance alone, which is exactly the API of one machine. Actions (close,
 * kick, flush) run on whichever instance holds the connection or the document.
 *
 * Every answer says which instances answered and which live ones did not (`instances`); a lookup
 * that finds nothing while an instance is missing is not a 404 but a 503 `instances_unreachable`.
 */
import { CloseCode } from '../closeCodes.ts';
import { NotFoundError, UnavailableError } from '../errors.ts';
import type { ConnectionInfo, ConnectionRegistry, ConnectionType } from '../registry.ts';
import type { ClusterAnswers, ClusterBus } from './ClusterBus.ts';

/** The reason kicked and closed clients receive with close code 4403. */
export const adminCloseReason = 'closed by an administrator';

export interface DocumentState {
  loaded: boolean;
  unsavedUpdates: number;
  unsavedBytes: number;
}

export interface SessionSummary {
  sessionId: string;
  connections: Record<ConnectionType, number>;
  document: DocumentState;
}

export interface ClusterConnection extends ConnectionInfo {
  instanceId: string;
}

/** Which instances took part in an answer. */
export interface Participation {
  answered: string[];
  missing: string[];
}

/** What one instance knows and can do about its own sessions. */
export interface LocalSessions {
  readonly registry: ConnectionRegistry;
  loadedDocuments(): Iterable<string>;
  isDocumentLoaded(sessionId: string): boolean;
  /** What of a document lives only in the update log (not compacted yet). */
  pending(sessionId: string): { updates: number; bytes: number } | Promise<{ updates: number; bytes: number }>;
  /** Compacts a loaded document; false when it is not loaded here. */
  flush(sessionId: string): boolean | Promise<boolean>;
  readonly tutor: { hasRoom(sessionId: string): boolean; roomSessionIds(): Iterable<string> };
}

interface SessionAnswer {
  known: boolean;
  connections: ClusterConnection[];
  document: DocumentState;
}

export class ClusterAdmin {
  readonly bus: ClusterBus;
  private readonly local: LocalSessions;
  private readonly disposers: Array<() => void>;

  constructor(bus: ClusterBus, local: LocalSessions) {
    this.bus = bus;
    this.local = local;
    this.disposers = [
      bus.answer('admin.sessions', () => this.localSessions()),
      bus.answer('admin.session', (body) => this.localSession(field(body, 'sessionId'))),
      bus.answer('admin.close', (body) => ({
        closed: local.registry.close(field(body, 'sessionId'), field(body, 'connectionId'), CloseCode.Forbidden, adminCloseReason),
      })),
      bus.answer('admin.kick', (body) => {
        const sessionId = field(body, 'sessionId');
        const userId = field(body, 'userId');
        const closed = local.registry.session(sessionId).filter((c) => c.userId === userId).map((c) => c.connectionId);
        local.registry.closeUser(sessionId, userId, CloseCode.Forbidden, adminCloseReason);
        return { closed };
      }),
      bus.answer('admin.flush', async (body) => {
        const sessionId = field(body, 'sessionId');
        const flushed = local.isDocumentLoaded(sessionId) ? await local.flush(sessionId) : false;
        return { flushed, document: await this.documentState(sessionId) };
      }),
    ];
  }

  /** Every active session of the cluster, counts summed over instances. */
  async sessions(): Promise<{ sessions: SessionSummary[]; instances: Participation }> {
    const result = await this.bus.ask<SessionSummary[]>('admin.sessions', {});
    const merged = new Map<string, SessionSummary>();
    for (const { body } of result.answers) {
      for (const summary of body) {
        const seen = merged.get(summary.sessionId);
        if (!seen) {
          merged.set(summary.sessionId, { ...summary, connections: { ...summary.connections } });
          continue;
        }
        seen.connections.tutor += summary.connections.tutor;
        seen.connections.whiteboard += summary.connections.whiteboard;
        seen.document = mergeDocuments(seen.document, summary.document);
      }
    }
    return { sessions: [...merged.values()], instances: participation(result) };
  }

  /** One session's connections on every instance, each with its `instanceId`. */
  async session(sessionId: string): Promise<{ connections: ClusterConnection[]; document: DocumentState; instances: Participation }> {
    const result = await this.bus.ask<SessionAnswer>('admin.session', { sessionId });
    requireKnown(sessionId, result, result.answers.some((a) => a.body.known));
    const connections = result.answers.flatMap((a) => a.body.connections);
    const document = result.answers.map((a) => a.body.document).reduce(mergeDocuments, emptyDocument());
    return { connections, document, instances: participation(result) };
  }

  /** Closes one connection wherever it is; throws 404 when no instance has it. */
  async close(sessionId: string, connectionId: string): Promise<{ instances: Participation }> {
    const { instances } = await this.session(sessionId);
    const result = await this.bus.ask<{ closed: boolean }>('admin.close', { sessionId, connectionId });
    if (!result.answers.some((a) => a.body.closed)) {
      if (result.missing.length > 0) throw unreachable(result.missing);
      throw new NotFoundError(`no connection "${connectionId}" in session "${sessionId}"`, 'connection_not_found');
    }
    return { instances: merge(instances, participation(result)) };
  }

  /** Closes every connection of `userId` in the session, on every instance and both paths. */
  async kick(sessionId: string, userId: string): Promise<{ closed: string[]; instances: Participation }> {
    const { instances } = await this.session(sessionId);
    const result = await this.bus.ask<{ closed: string[] }>('admin.kick', { sessionId, userId });
    return { closed: result.answers.flatMap((a) => a.body.closed), instances: merge(instances, participation(result)) };
  }

  /** Compacts the document on the instance(s) that hold it loaded. */
  async flush(sessionId: string): Promise<{ flushed: boolean; document: DocumentState; instances: Participation }> {
    await this.session(sessionId);
    const result = await this.bus.ask<{ flushed: boolean; document: DocumentState }>('admin.flush', { sessionId });
    return {
      flushed: result.answers.some((a) => a.body.flushed),
      document: result.answers.map((a) => a.body.document).reduce(mergeDocuments, emptyDocument()),
      instances: participation(result),
    };
  }

  /** Throws 404 (or 503 while an instance is missing) unless some instance knows the session. */
  async requireKnown(sessionId: string): Promise<void> {
    await this.session(sessionId);
  }

  dispose(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }

  private async localSessions(): Promise<SessionSummary[]> {
    const { registry, tutor } = this.local;
    const counts = new Map<string, Record<ConnectionType, number>>();
    for (const summary of registry.sessions()) counts.set(summary.sessionId, summary.connections);
    for (const name of this.local.loadedDocuments()) if (!counts.has(name)) counts.set(name, { tutor: 0, whiteboard: 0 });
    for (const name of tutor.roomSessionIds()) if (!counts.has(name)) counts.set(name, { tutor: 0, whiteboard: 0 });
    const sessions: SessionSummary[] = [];
    for (const [sessionId, connections] of counts) sessions.push({ sessionId, connections, document: await this.documentState(sessionId) });
    return sessions;
  }

  private async localSession(sessionId: string): Promise<SessionAnswer> {
    const { registry, tutor } = this.local;
    const known = registry.hasSession(sessionId) || this.local.isDocumentLoaded(sessionId) || tutor.hasRoom(sessionId);
    const instanceId = this.bus.instanceId;
    const connections = registry.session(sessionId).map((c) => ({ ...c, instanceId }));
    return { known, connections, document: known ? await this.documentState(sessionId) : emptyDocument() };
  }

  private async documentState(sessionId: string): Promise<DocumentState> {
    const { updates, bytes } = await this.local.pending(sessionId);
    return { loaded: this.local.isDocumentLoaded(sessionId), unsavedUpdates: updates, unsavedBytes: bytes };
  }
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null)?.[name];
  if (typeof value !== 'string') throw new TypeError(`question without a string "${name}"`);
  return value;
}

function emptyDocument(): DocumentState {
  return { loaded: false, unsavedUpdates: 0, unsavedBytes: 0 };
}

/**
 * One document as the instances report it: loaded if any has it. The unsaved figures come from
 * the instances that have it loaded (they compact it; on a shared database the others only see
 * the same log, perhaps from before a flush), the largest of those, never the sum.
 */
function mergeDocuments(a: DocumentState, b: DocumentState): DocumentState {
  if (a.loaded !== b.loaded) return a.loaded ? a : b;
  return {
    loaded: a.loaded,
    unsavedUpdates: Math.max(a.unsavedUpdates, b.unsavedUpdates),
    unsavedBytes: Math.max(a.unsavedBytes, b.unsavedBytes),
  };
}

function participation(result: ClusterAnswers<unknown>): Participation {
  return { answered: result.answers.map((a) => a.instanceId), missing: result.missing };
}

function merge(a: Participation, b: Participation): Participation {
  const answered = [...new Set([...a.answered, ...b.answered])];
  return { answered, missing: [...new Set([...a.missing, ...b.missing])].filter((id) => !answered.includes(id)) };
}

function requireKnown(sessionId: string, result: ClusterAnswers<unknown>, known: boolean): void {
  if (known) return;
  if (result.missing.length > 0) throw unreachable(result.missing);
  throw new NotFoundError(`no active session "${sessionId}"`, 'session_not_found');
}

function unreachable(missing: string[]): UnavailableError {
  return new UnavailableError(`instances did not answer in time: ${missing.join(', ')}; retry`);
}
