/**
 * Who may open one more connection in a session, once the token says who is asking.
 *
 * A session is full for students and observers at `maxConnectionsPerSession`; its tutors (and
 * admins) are still admitted, so a crowd (or one user opening sockets) can never lock the
 * lesson's tutor out. Every user, tutors included, has `maxConnectionsPerUser` connections per
 * session (both paths together), so one user cannot fill a session for the others.
 */
import type { Principal, Role } from './auth.ts';
import { CapacityError } from './errors.ts';
import type { ConnectionRegistry } from './registry.ts';

export interface AdmissionLimits {
  /** Connections of one session (both paths) beyond which students and observers are refused. */
  maxConnectionsPerSession: number;
  /** Connections of one user in one session (both paths). */
  maxConnectionsPerUser: number;
}

/** Roles a full session still admits. */
const alwaysAdmitted: ReadonlySet<Role> = new Set(['tutor', 'admin']);

/** Throws a CapacityError (429) when `principal` may not open another connection in `sessionId`. */
export function admit(registry: ConnectionRegistry, sessionId: string, principal: Principal, limits: AdmissionLimits): void {
  if (registry.userConnections(sessionId, principal.userId) >= limits.maxConnectionsPerUser) {
    throw new CapacityError(
      `user ${principal.userId} already has ${limits.maxConnectionsPerUser} connections in session ${sessionId} (MAX_CONNECTIONS_PER_USER)`,
      'user_connections_full',
      429,
    );
  }
  if (!alwaysAdmitted.has(principal.role) && registry.sessionSize(sessionId) >= limits.maxConnectionsPerSession) {
    throw new CapacityError(`session ${sessionId} is full (MAX_CONNECTIONS_PER_SESSION)`, 'session_full', 429);
  }
}
