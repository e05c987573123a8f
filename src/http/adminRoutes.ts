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
 * With REDIS_URL every answer covers every instance (src/cluster/ClusterAdmin.ts); answers that
 * asked the cluster say which instances answered and which did not (`instances`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from '../auth.ts';
import { adminCloseReason, type ClusterAdmin, type ClusterConnection } from '../cluster/ClusterAdmin.ts';
import { BadRequestError, TutorboardError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { assertSessionId, requestUrl } from '../routes.ts';
import { maxTypeLength, serverMessageTypes, type OutgoingMessage, type Sender } from '../tutor/protocol.ts';
import { adminPrincipal, matchPath, readJsonBody, sendError, sendJson } from './json.ts';

export { adminCloseReason };

export interface AdminTarget {
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  /** Sessions, connections and documents of every instance (this one alone without REDIS_URL). */
  readonly cluster: ClusterAdmin;
  readonly tutor: {
    /** Resolves with how many connections, on every instance, the message is for. */
    publishCounted(sessionId: string, message: OutgoingMessage, from: Sender): Promise<number>;
  };
}

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
  const { sessions, instances } = await target.cluster.sessions();
  const visible = sessions.filter(({ sessionId }) => principal.sessionScope === '*' || principal.sessionScope === sessionId);
  return [200, { sessions: visible, instances }];
}

async function showSession(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  adminPrincipal(request, target.authenticator, sessionId);
  const { connections, document, instances } = await target.cluster.session(sessionId);
  return [200, { sessionId, connections: connections.map(connectionJson), document, instances }];
}

async function closeConnection(request: IncomingMessage, target: AdminTarget, params: Record<string, string>): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator, params.sessionId);
  const { sessionId, connectionId } = params;
  const { instances } = await target.cluster.close(sessionId, connectionId);
  target.logger.info({ event: 'admin_close', sessionId, connectionId, by: principal.userId }, 'connection closed by an administrator');
  return [200, { closed: [connectionId], instances }];
}

async function kickUser(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator, sessionId);
  const body = await readJsonBody(request);
  if (typeof body.userId !== 'string' || body.userId === '') throw new BadRequestError('body needs a non-empty string "userId"', 'invalid_user_id');
  const userId = body.userId;
  const { closed, instances } = await target.cluster.kick(sessionId, userId);
  target.logger.info({ event: 'admin_kick', sessionId, userId, closed: closed.length, by: principal.userId }, 'user kicked by an administrator');
  return [200, { userId, closed, instances }];
}

async function publishMessage(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  const principal = adminPrincipal(request, target.authenticator, sessionId);
  const message = parseServiceMessage(await readJsonBody(request));
  await target.cluster.requireKnown(sessionId);
  const delivered = await target.tutor.publishCounted(sessionId, message, { userId: principal.userId, role: 'service' });
  return [202, { delivered }];
}

async function flushDocument(request: IncomingMessage, target: AdminTarget, { sessionId }: Record<string, string>): Promise<[number, unknown]> {
  adminPrincipal(request, target.authenticator, sessionId);
  const { flushed, document, instances } = await target.cluster.flush(sessionId);
  return [200, { sessionId, flushed, document, instances }];
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

function connectionJson(connection: ClusterConnection): Record<string, unknown> {
  return {
    ...connection,
    connectedAt: new Date(connection.connectedAt).toISOString(),
    lastSeenAt: new Date(connection.lastSeenAt).toISOString(),
  };
}
