/**
 * Who is connected where, for both paths. One place answers "who is in session X"; the admin API
 * and metrics read it, the transports write it. A session with no connections is removed at once.
 */
import { EventEmitter } from 'node:events';
import type { Role } from './auth.ts';

export type ConnectionType = 'tutor' | 'whiteboard';

export interface ConnectionInfo {
  connectionId: string;
  sessionId: string;
  userId: string;
  role: Role;
  connectionType: ConnectionType;
  /** Epoch milliseconds. */
  connectedAt: number;
  /** Epoch milliseconds of the last frame received. */
  lastSeenAt: number;
  remoteAddress: string | undefined;
}

export interface RegisteredConnection extends ConnectionInfo {
  /** Closes the underlying socket; the transport unregisters it when the close completes. */
  close(code: number, reason: string): void;
}

export interface SessionSummary {
  sessionId: string;
  connections: Record<ConnectionType, number>;
}

/** A connection that left, with the close code when it is known. */
export interface DepartedConnection extends ConnectionInfo {
  closeCode?: number;
  closeReason?: string;
}

interface RegistryEvents {
  join: [ConnectionInfo];
  leave: [DepartedConnection];
}

export class ConnectionRegistry extends EventEmitter<RegistryEvents> {
  private readonly bySession = new Map<string, Map<string, RegisteredConnection>>();
  private readonly byId = new Map<string, RegisteredConnection>();
  /** Closes this registry asked for, reported on 'leave' when the transport does not say. */
  private readonly closing = new Map<string, { code: number; reason: string }>();

  /** Registers a connection; returns its disposer (idempotent). */
  add(connection: RegisteredConnection): () => void {
    if (this.byId.has(connection.connectionId)) throw new Error(`connection ${connection.connectionId} is already registered`);
    this.byId.set(connection.connectionId, connection);
    let session = this.bySession.get(connection.sessionId);
    if (!session) {
      session = new Map();
      this.bySession.set(connection.sessionId, session);
    }
    session.set(connection.connectionId, connection);
    this.emit('join', info(connection));
    return () => this.remove(connection.connectionId);
  }

  /** Unregisters a connection; `closed` is the close code and reason the socket ended with, if known. */
  remove(connectionId: string, closed?: { code: number; reason: string }): boolean {
    const connection = this.byId.get(connectionId);
    if (!connection) return false;
    const close = closed ?? this.closing.get(connectionId);
    this.closing.delete(connectionId);
    this.byId.delete(connectionId);
    const session = this.bySession.get(connection.sessionId);
    session?.delete(connectionId);
    if (session?.size === 0) this.bySession.delete(connection.sessionId);
    this.emit('leave', close ? { ...info(connection), closeCode: close.code, closeReason: close.reason } : info(connection));
    return true;
  }

  touch(connectionId: string, now = Date.now()): void {
    const connection = this.byId.get(connectionId);
    if (connection) connection.lastSeenAt = now;
  }

  get(connectionId: string): ConnectionInfo | undefined {
    const connection = this.byId.get(connectionId);
    return connection && info(connection);
  }

  /** Connections of one session, oldest first; empty when the session has none. */
  session(sessionId: string): ConnectionInfo[] {
    return [...(this.bySession.get(sessionId)?.values() ?? [])].map(info);
  }

  /** How many connections a session has, without copying them. */
  sessionSize(sessionId: string): number {
    return this.bySession.get(sessionId)?.size ?? 0;
  }

  /** How many connections one user has in a session, both paths together. */
  userConnections(sessionId: string, userId: string): number {
    let n = 0;
    for (const connection of this.bySession.get(sessionId)?.values() ?? []) if (connection.userId === userId) n += 1;
    return n;
  }

  hasSession(sessionId: string): boolean {
    return this.bySession.has(sessionId);
  }

  sessions(): SessionSummary[] {
    return [...this.bySession].map(([sessionId, connections]) => {
      const counts: Record<ConnectionType, number> = { tutor: 0, whiteboard: 0 };
      for (const connection of connections.values()) counts[connection.connectionType] += 1;
      return { sessionId, connections: counts };
    });
  }

  count(type?: ConnectionType): number {
    if (!type) return this.byId.size;
    let n = 0;
    for (const connection of this.byId.values()) if (connection.connectionType === type) n += 1;
    return n;
  }

  /** Closes one connection of a session; false when there is no such connection. */
  close(sessionId: string, connectionId: string, code: number, reason: string): boolean {
    const connection = this.bySession.get(sessionId)?.get(connectionId);
    if (!connection) return false;
    this.closing.set(connectionId, { code, reason });
    connection.close(code, reason);
    return true;
  }

  /** Closes every connection of `userId` in a session, on both paths; returns how many. */
  closeUser(sessionId: string, userId: string, code: number, reason: string): number {
    const targets = [...(this.bySession.get(sessionId)?.values() ?? [])].filter((c) => c.userId === userId);
    for (const connection of targets) {
      this.closing.set(connection.connectionId, { code, reason });
      connection.close(code, reason);
    }
    return targets.length;
  }
}

function info(connection: RegisteredConnection): ConnectionInfo {
  const { close: _close, ...rest } = connection;
  return rest;
}
