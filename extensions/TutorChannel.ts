/**
 * The tutor channel: a stateless broadcast room per session at `/ws/v2/session/{sessionId}`,
 * beside Hocuspocus's whiteboard path on the same port. It answers its own upgrades (so the
 * client sees 400/401/403 before any socket exists), runs its own heartbeat, and keeps nothing
 * on disk. Protocol: docs/tutor-protocol.md.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Extension, onUpgradePayload } from '@hocuspocus/server';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../src/auth.ts';
import { tokenFromRequest } from '../src/auth.ts';
import { CloseCode } from '../src/closeCodes.ts';
import { BadRequestError, TutorboardError, UnauthorizedError } from '../src/errors.ts';
import { redactUrl } from '../src/logger.ts';
import { parseSessionRoute, requestUrl } from '../src/routes.ts';
import { rejectUpgrade } from '../src/upgradeResponse.ts';
import { parseResume, type OutgoingMessage, type Sender, type WelcomeMessage } from '../src/tutor/protocol.ts';
import { LocalRooms } from '../src/tutor/LocalRooms.ts';
import type { ResumeRequest } from '../src/tutor/Room.ts';
import type { TutorRooms } from '../src/tutor/TutorRooms.ts';
import { TutorConnection } from '../src/tutor/TutorConnection.ts';
import { createTutorStats, type TutorStats } from '../src/tutor/TutorStats.ts';
import { SendCoalescer } from '../src/whiteboard/SendCoalescer.ts';
import { defaultTutorChannelConfiguration, type TutorChannelConfiguration } from '../src/tutor/TutorChannelConfiguration.ts';

export { defaultTutorChannelConfiguration, type TutorChannelConfiguration };

/** The sender stamped on `publish` when the caller names none. */
export const serverSender: Sender = { userId: 'server', role: 'server' };

export class TutorChannel implements Extension {
  extensionName = 'TutorChannel';
  readonly configuration: Readonly<TutorChannelConfiguration>;
  private readonly counters: TutorStats = createTutorStats();
  private readonly rooms: TutorRooms;
  private readonly connections = new Set<TutorConnection>();
  /** One for every tutor socket: a broadcast's frames to one socket leave in one write. */
  private readonly coalescer = new SendCoalescer();
  private wss: WebSocketServer | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private destroyed: Promise<void> | undefined;

  constructor(configuration: Partial<TutorChannelConfiguration>) {
    for (const field of ['authenticator', 'registry', 'logger'] as const) {
      if (!configuration[field]) throw new TypeError(`TutorChannel needs configuration.${field}`);
    }
    this.configuration = Object.freeze({ ...defaultTutorChannelConfiguration, ...configuration } as TutorChannelConfiguration);
    const { replayMessages, replayMs, replayBytes, replayTotalBytes, emptyRoomGraceMs, logger } = this.configuration;
    const options = { replayMessages, replayMs, replayBytes, replayTotalBytes, emptyRoomGraceMs, stats: this.counters, logger };
    this.rooms = this.configuration.rooms ? this.configuration.rooms(options) : new LocalRooms(options);
  }

  async onConfigure(): Promise<void> {
    // Hocuspocus runs onConfigure again if it is reconfigured; one server and one sweep suffice.
    if (this.wss || this.destroyed) return;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.configuration.maxMessageBytes });
    this.sweepTimer = setInterval(() => this.sweep(), this.configuration.heartbeatIntervalMs);
    this.sweepTimer.unref();
  }

  async onUpgrade({ request, socket, head }: onUpgradePayload): Promise<void> {
    let url: URL;
    try {
      url = requestUrl(request.url);
    } catch (error) {
      // Unparseable, so nobody can tell whose path it is: 400 (invalid_url) for every path.
      this.refuse(request, socket, error);
      return Promise.reject(null);
    }
    let route: ReturnType<typeof parseSessionRoute>;
    try {
      route = parseSessionRoute(url.pathname);
    } catch (error) {
      // A bad id on the whiteboard path is the whiteboard's to answer.
      if (/\/whiteboard\/?$/.test(url.pathname)) return;
      this.refuse(request, socket, error);
      return Promise.reject(null);
    }
    if (route?.kind !== 'tutor') return;
    try {
      if (!this.wss || this.destroyed) {
        rejectUpgrade(socket, 503, 'shutting_down', 'server is shutting down; reconnect', { 'Retry-After': '1' });
        return Promise.reject(null);
      }
      const { sessionId } = route;
      const { principal, resume } = this.checkUpgrade(request.headers.authorization, url, sessionId);
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket as Socket, sessionId, principal, request.socket.remoteAddress, resume));
    } catch (error) {
      this.refuse(request, socket, error);
    }
    // Hocuspocus convention: rejecting with nothing means "handled, stop here".
    return Promise.reject(null);
  }

  /**
   * What the upgrade of `url` for `sessionId` would get past the server-wide checks: who connects
   * and the resume request, or a thrown TutorboardError (400/401/403/429). A plain GET on the path
   * asks this too, so a browser, which cannot see an upgrade's status, can learn why.
   */
  checkUpgrade(authorization: string | undefined, url: URL, sessionId: string): { principal: Principal; resume: ResumeRequest | undefined } {
    const token = tokenFromRequest(authorization, url);
    if (token === undefined) throw new UnauthorizedError('missing token: send "Authorization: Bearer <token>" or ?token=');
    const principal = this.configuration.authenticator.authenticate(token, sessionId);
    this.configuration.admit?.(sessionId, principal);
    const resume = parseResume(url);
    if (typeof resume === 'string') throw new BadRequestError(resume, 'invalid_since');
    return { principal, resume: resume.since === undefined ? undefined : { since: resume.since, epoch: resume.epoch } };
  }

  /** Lets the server close tutor sockets with the restart code at the start of its shutdown. */
  onShutdown(): void {
    this.closeAll(CloseCode.ServiceRestart, 'server restarting');
  }

  onDestroy(): Promise<void> {
    this.destroyed ??= this.runDestroy();
    return this.destroyed;
  }

  /**
   * Sends a server-originated message into a session's room: stamped with `from` (the server
   * by default), given a seq and kept for replay like any room message. A `to` field addresses
   * one user. Returns how many connections it was delivered to at once: all of them on one
   * machine; with REDIS_URL delivery happens when Redis hands the message back (0 here, see
   * `publishCounted`).
   */
  publish(sessionId: string, message: OutgoingMessage, from: Sender = serverSender): number {
    if (typeof message.type !== 'string' || message.type === '') throw new TypeError('publish needs a message with a "type"');
    if (this.destroyed) return 0;
    return this.rooms.publish(sessionId, message, { userId: from.userId, role: from.role });
  }

  /** Like `publish`, resolving with how many connections it was for across every instance. */
  async publishCounted(sessionId: string, message: OutgoingMessage, from: Sender = serverSender): Promise<number> {
    if (typeof message.type !== 'string' || message.type === '') throw new TypeError('publish needs a message with a "type"');
    if (this.destroyed) return 0;
    return this.rooms.publishCounted(sessionId, message, { userId: from.userId, role: from.role });
  }

  /** Closes every tutor connection with `code`; returns how many were open. */
  closeAll(code: number, reason: string): number {
    const open = [...this.connections];
    for (const connection of open) connection.close(code, reason);
    return open.length;
  }

  /** Live counters for metrics (the same object every time; read, do not write). */
  get stats(): Readonly<TutorStats> {
    return this.counters;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Whether the session's room exists here (it may be empty while its replay ring is live). */
  hasRoom(sessionId: string): boolean {
    return this.rooms.hasRoom(sessionId);
  }

  get roomCount(): number {
    return this.rooms.roomCount;
  }

  /** Sessions with a room, empty ones kept for replay included (the admin API lists them). */
  roomSessionIds(): string[] {
    return this.rooms.roomSessionIds();
  }

  /** Bytes the replay of every room holds together (bounded by `replayTotalBytes`). */
  get replayBytes(): number {
    return this.rooms.replayBytes;
  }

  private accept(
    socket: WebSocket,
    tcp: Socket,
    sessionId: string,
    principal: Principal,
    remoteAddress: string | undefined,
    resume: ResumeRequest | undefined,
  ): void {
    if (this.destroyed) {
      socket.close(CloseCode.GoingAway, 'server shutting down');
      return;
    }
    const { configuration, counters: stats } = this;
    const connection = new TutorConnection({
      socket,
      tcp,
      coalescer: this.coalescer,
      connectionId: randomUUID(),
      sessionId,
      principal,
      remoteAddress,
      limits: configuration,
      stats,
      logger: configuration.logger,
      onRoomMessage: (from, message) => {
        this.rooms.publish(sessionId, message, { userId: from.userId, connectionId: from.connectionId, role: from.role });
      },
      onSeen: (from, now) => configuration.registry.touch(from.connectionId, now),
      onGone: (gone) => {
        this.connections.delete(gone);
        // With the code it closed with, so the disconnect log line and metrics see it.
        configuration.registry.remove(gone.connectionId, gone.closed);
        this.rooms.leave(gone);
        configuration.logger.debug({ event: 'tutor_leave', connectionId: gone.connectionId, sessionId }, 'tutor connection left');
      },
    });
    // Counted from the start: across instances the welcome waits for Redis, and a shutdown must
    // close a socket that is still waiting for it.
    this.connections.add(connection);
    this.rooms.join(connection, resume, {
      welcome: ({ seq, epoch, peers }): WelcomeMessage => ({
        type: 'welcome',
        connectionId: connection.connectionId,
        sessionId,
        userId: principal.userId,
        role: principal.role,
        peers,
        heartbeatIntervalMs: configuration.heartbeatIntervalMs,
        staleTimeoutMs: configuration.staleTimeoutMs,
        seq,
        epoch,
      }),
      joined: () => {
        configuration.registry.add({
          connectionId: connection.connectionId,
          sessionId,
          userId: principal.userId,
          role: principal.role,
          connectionType: 'tutor',
          connectedAt: connection.connectedAt,
          lastSeenAt: connection.lastSeenAt,
          remoteAddress,
          close: (code, reason) => connection.close(code, reason),
        });
        configuration.logger.debug(
          { event: 'tutor_join', connectionId: connection.connectionId, sessionId, userId: principal.userId, role: principal.role },
          'tutor connection joined',
        );
      },
    });
  }

  /** One timer for all sockets: cut the silent ones, ping the rest. */
  private sweep(): void {
    const now = Date.now();
    for (const connection of [...this.connections]) {
      if (now - connection.lastSeenAt >= this.configuration.staleTimeoutMs) {
        this.counters.staleTerminations += 1;
        this.configuration.logger.info(
          { event: 'tutor_stale', connectionId: connection.connectionId, sessionId: connection.sessionId, silentMs: now - connection.lastSeenAt },
          'terminating a silent tutor connection',
        );
        connection.terminate('stale: no sign of life');
      } else {
        connection.ping();
      }
    }
  }

  private refuse(request: IncomingMessage, socket: Duplex, error: unknown): void {
    if (!(error instanceof TutorboardError)) {
      this.configuration.logger.error({ err: error, url: redactUrl(request.url) }, 'tutor upgrade failed');
      rejectUpgrade(socket, 500, 'internal', 'internal error');
      return;
    }
    this.configuration.logger.warn(
      { event: 'auth_failed', path: 'tutor', reason: error.code, status: error.status, url: redactUrl(request.url) },
      'tutor upgrade rejected',
    );
    rejectUpgrade(socket, error.status, error.code, error.message);
  }

  private async runDestroy(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.closeAll(CloseCode.GoingAway, 'server shutting down');
    const wss = this.wss;
    if (wss) {
      await closeOrTerminate([...wss.clients], this.configuration.closeGraceMs);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
    await this.rooms.close();
  }
}

/** Waits for sockets to finish their close handshake; cuts whoever has not after `graceMs`. */
async function closeOrTerminate(sockets: WebSocket[], graceMs: number): Promise<void> {
  const open = sockets.filter((s) => s.readyState !== s.CLOSED);
  if (open.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const closed = Promise.all(open.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([closed, grace]);
  clearTimeout(timer);
  for (const socket of open) if (socket.readyState !== socket.CLOSED) socket.terminate();
}
