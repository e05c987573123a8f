/**
 * The session admin API (a JWT with role `admin` whose `sid` covers the session, or `*`):
 *
 *   GET    /api/sessions                                    active sessions, counts, document state
 *
 * "Active" is one rule for the list and for every /api/sessions/{id} route: a session with a
 * connection, a loaded whiteboard document or a tutor room (an empty room stays for replay).
 *   GET    /api/sessions/{sessionId}                        its connections with their metadata
 *   DELETE /api/sessions/{sessionId}/connections/{id}       closes that connection (4403)
 *   POST   /api/sessions/{sessionId}/kick      {"userId"}   closes every connection of that user
 *   POST   /api/sessions/{sessionId}/tutor/messages {"type"} broadcast as from {userId: sub, role: service}
 *   POST   /api/sessions/{sessionId}/flush                  compacts the loaded document now
 *
 * Any other path returns false (`…/snapshots` belongs to the snapshot API). Authentication is
 * checked before the session is looked up, so nobody learns which sessions exist without a token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from '../auth.ts';
import { CloseCode } from '../closeCodes.ts';
import { BadRequestError, NotFoundError, TutorboardError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionInfo, ConnectionRegistry, ConnectionType } from '../registry.ts';
import { assertSessionId, requestUrl } from '../routes.ts';
import { maxTypeLength, serverMessageTypes, type OutgoingMessage, type Sender } from '../tutor/protocol.ts';
import { adminPrincipal, matchPath, readJsonBody, sendError, sendJson } from './json.ts';

export interface AdminTarget {
  readonly authenticator: Authenticator;
  readonly registry: ConnectionRegistry;
  readonly logger: Logger;
  /** Names of the whiteboard documents in memory. */
  loadedDocuments(): Iterable<string>;
  isDocumentLoaded(sessionId: string): boolean;
  /** What of a document lives only in the update log (not compacted yet). */
  pending(sessionId: string): Promise<{ updates: number; bytes: number }>;
  /** Compacts a loaded document; false when it is not loaded. */
  flush(sessionId: string): Promise<boolean>;
  readonly tutor: {
    publish(sessionId: string, message: OutgoingMessage, from: Sender): number;
    hasRoom(sessionId: string): boolean;
    roomSessionIds(): Iterable<string>;
  };
}

/** The reason kicked and closed clients receive with close code 4403. */
export const adminCloseReason = 'closed by an administrator';

const routes = {
  list: '/api/sessions',
  session: '/api/sessions/:sessionId',
  connection: '/api/sessions/:sessionId/connections/:connectionId',
  kick: '/api/sessions/:sessionId/kick',
  message: '/api/sessions/:sessionId/tutor/messages',
  flush: '/api/sessions/:sessionId/flush',
} as const;

type Handler = (request: IncomingMessage, target: AdminTarget, params: Record<string, string>) => Promise<[number, unknown]>;

const table: Array<[string, string, Handler]> = [
  ['GET', routes.list, listSessions],
  ['GET', routes.session, showSession],
  ['DELETE', routes.connection, closeConnection],
  ['POST', routes.kick, kickUser],
  ['POST', routes.message, publishMessage],
  ['POST', routes.flush, flushDocument],
];

export async function handleAdminRequest(request: IncomingMessage, response: ServerResponse, target: AdminTarget): Promise<boolean> {
  const { pathname } = requestUrl(request.url);
  if (pathname !== routes.list && !pathname.startsWith(`${routes.list}/`)) return false;
  const matches = table.map(([method, pattern, handler]) => ({ method, handler, params: matchPath(pattern, pathname) }))
    .filter((m) => m.params !== null);
  if (matches.length === 0) return false;
  try {
    const match = matches.find((m) => m.method === request.method);
    if (!match) {
      const allowed = matches.map((m) => m.method).join(', ');
      sendJson(response, 405, { error: { code: 'method_not_allowed', message: `use ${allowed}` } }, { Allow: allowed });
      return true;
    }
    if (match.params!.sessionId !== undefined) assertSessionId(match.params!.sessionId);
    const [status, body] = await match.handler(request, target, match.params!);
    sendJson(response, status, body);
  } catch (error) {
    if (!(error instanceof TutorboardError)) target.logger.error({ err: error, method: request.method, path: pathname }, 'admin request failed');
    sendError(response, error);
  }
  return true;
}

async function listSessions(request: IncomingMessage, target: AdminTarget): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator);
  const counts = new Map<string, Record<ConnectionType, number>>();
  for (const summary of target.registry.sessions()) counts.set(summary.sessionId, summary.connections);
  for (const name of target.loadedDocuments()) if (!counts.has(name)) counts.set(name, { tutor: 0, whiteboard: 0 });
  for (const name of target.tutor.roomSessionIds()) if (!counts.has(name)) counts.set(name, { tutor: 0, whiteboard: 0 });
  const visible = [...counts].filter(([sessionId]) => principal.sessionScope === '*' || principal.sessionScope === sessionId);
  const sessions = await Promise.all(
    visible.map(async ([sessionId, connections]) => ({ sessionId, connections, document: await documentState(target, sessionId) })),
  );
  return [200, { sessions }];
}

async function showSession(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  adminPrincipal(request, target.authenticator, sessionId);
  requireKnownSession(target, sessionId);
  const connections = target.registry.session(sessionId).map(connectionJson);
  return [200, { sessionId, connections, document: await documentState(target, sessionId) }];
}

async function closeConnection(request: IncomingMessage, target: AdminTarget, params: Record<string, string>): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator, params.sessionId);
  const { sessionId, connectionId } = params;
  requireKnownSession(target, sessionId);
  if (!target.registry.close(sessionId, connectionId, CloseCode.Forbidden, adminCloseReason)) {
    throw new NotFoundError(`no connection "${connectionId}" in session "${sessionId}"`, 'connection_not_found');
  }
  target.logger.info({ event: 'admin_close', sessionId, connectionId, by: principal.userId }, 'connection closed by an administrator');
  return [200, { closed: [connectionId] }];
}

async function kickUser(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator, sessionId);
  const body = await readJsonBody(request);
  if (typeof body.userId !== 'string' || body.userId === '') throw new BadRequestError('body needs a non-empty string "userId"', 'invalid_user_id');
  requireKnownSession(target, sessionId);
  const userId = body.userId;
  const closed = target.registry.session(sessionId).filter((c) => c.userId === userId).map((c) => c.connectionId);
  target.registry.closeUser(sessionId, userId, CloseCode.Forbidden, adminCloseReason);
  target.logger.info({ event: 'admin_kick', sessionId, userId, closed: closed.length, by: principal.userId }, 'user kicked by an administrator');
  return [200, { userId, closed }];
}

async function publishMessage(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator, sessionId);
  const message = parseServiceMessage(await readJsonBody(request));
  requireKnownSession(target, sessionId);
  const delivered = target.tutor.publish(sessionId, message, { userId: principal.userId, role: 'service' });
  return [202, { delivered }];
}

async function flushDocument(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  adminPrincipal(request, target.authenticator, sessionId);
  requireKnownSession(target, sessionId);
  const flushed = await target.flush(sessionId);
  return [200, { sessionId, flushed, document: await documentState(target, sessionId) }];
}

/** A message a backend may put into a room: like a client's, minus the server's own types. */
export function parseServiceMessage(body: Record<string, unknown>): OutgoingMessage {
  const { type, to } = body;
  if (typeof type !== 'string' || type === '') throw new BadRequestError('body needs a non-empty string "type"', 'invalid_message');
  if (type.length > maxTypeLength) throw new BadRequestError(`"type" is longer than ${maxTypeLength} characters`, 'invalid_message');
  if ((serverMessageTypes as readonly string[]).includes(type) || type === 'ping') {
    throw new BadRequestError(`"type" ${JSON.stringify(type)} is a control message type`, 'invalid_message');
  }
  if (to !== undefined && (typeof to !== 'string' || to === '')) throw new BadRequestError('"to" must be a non-empty user id', 'invalid_message');
  return body as OutgoingMessage;
}

function requireKnownSession(target: AdminTarget, sessionId: string): void {
  if (target.registry.hasSession(sessionId) || target.isDocumentLoaded(sessionId) || target.tutor.hasRoom(sessionId)) return;
  throw new NotFoundError(`no active session "${sessionId}"`, 'session_not_found');
}

async function documentState(target: AdminTarget, sessionId: string): Promise<{ loaded: boolean; unsavedUpdates: number; unsavedBytes: number }> {
  const { updates, bytes } = await target.pending(sessionId);
  return { loaded: target.isDocumentLoaded(sessionId), unsavedUpdates: updates, unsavedBytes: bytes };
}

function connectionJson(connection: ConnectionInfo): Record<string, unknown> {
  return {
    ...connection,
    connectedAt: new Date(connection.connectedAt).toISOString(),
    lastSeenAt: new Date(connection.lastSeenAt).toISOString(),
  };
}
