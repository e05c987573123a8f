/**
 * One log line when a connection opens and one when it closes, for both transports, from the
 * registry's events: session, connection, user, transport, close code and how long it lasted.
 * (Authentication failures are logged where they happen, as `auth_failed`.)
 */
import type { Logger } from './logger.ts';
import type { ConnectionInfo, ConnectionRegistry, DepartedConnection } from './registry.ts';

export class ConnectionLog {
  private readonly registry: ConnectionRegistry;
  private readonly logger: Logger;
  private readonly onJoin = (c: ConnectionInfo) => {
    this.logger.info(
      { event: 'connect', type: c.connectionType, sessionId: c.sessionId, connectionId: c.connectionId, userId: c.userId, role: c.role, remoteAddress: c.remoteAddress },
      `${c.connectionType} connection opened`,
    );
  };
  private readonly onLeave = (c: DepartedConnection) => {
    this.logger.info(
      {
        event: 'disconnect',
        type: c.connectionType,
        sessionId: c.sessionId,
        connectionId: c.connectionId,
        userId: c.userId,
        role: c.role,
        closeCode: c.closeCode,
        closeReason: c.closeReason || undefined,
        durationMs: Date.now() - c.connectedAt,
      },
      `${c.connectionType} connection closed`,
    );
  };

  constructor(registry: ConnectionRegistry, logger: Logger) {
    this.registry = registry;
    this.logger = logger;
    registry.on('join', this.onJoin);
    registry.on('leave', this.onLeave);
  }

  /** Stops logging; idempotent. */
  dispose(): void {
    this.registry.off('join', this.onJoin);
    this.registry.off('leave', this.onLeave);
  }
}
