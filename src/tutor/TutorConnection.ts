/**
 * One tutor WebSocket: validates what it receives, enforces the per-connection limits, and
 * writes with a bound on its send buffer. It knows nothing of rooms; the channel wires it in
 * through the callbacks. Whatever ends it (our close, the peer, an error, the sweep), `onGone`
 * runs exactly once, at the moment the connection stops being a member.
 */
import type { WebSocket } from 'ws';
import type { Principal, Role } from '../auth.ts';
import { CloseCode } from '../closeCodes.ts';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { parseClientMessage, type ErrorCode, type ErrorMessage, type OutgoingMessage, type PongMessage } from './protocol.ts';
import { RateLimiter } from './RateLimiter.ts';
import type { RoomMember } from './Room.ts';
import type { Socket } from 'node:net';
import type { SendCoalescer } from '../whiteboard/SendCoalescer.ts';
import { SlidingWindowCounter } from './SlidingWindowCounter.ts';
import type { TutorStats } from './TutorStats.ts';

export interface ConnectionLimits {
  maxBufferedBytes: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  invalidMessagesPerMinute: number;
}

export interface TutorConnectionOptions {
  socket: WebSocket;
  /** The upgraded TCP socket under `socket`: frames of one task are written to it in one go. */
  tcp?: Socket;
  /** Shared by every connection: holds each socket's writes until the end of the task. */
  coalescer?: SendCoalescer;
  connectionId: string;
  sessionId: string;
  principal: Principal;
  remoteAddress: string | undefined;
  limits: ConnectionLimits;
  stats: TutorStats;
  logger: Logger;
  /** A validated message this connection may send to its room. */
  onRoomMessage(connection: TutorConnection, message: OutgoingMessage): void;
  /** Any frame or pong arrived: a sign of life. */
  onSeen(connection: TutorConnection, now: number): void;
  onGone(connection: TutorConnection): void;
}

/** Close codes `ws` sends on its own when a frame breaks the protocol, by its error code. */
const receiverCloseCodes: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_INVALID_UTF8: 1007,
};

/** RFC 6455's code for "closed without a close frame": never sent, only reported. */
const abnormalClosure = 1006;

export interface CloseInfo {
  code: number;
  reason: string;
}

export class TutorConnection implements RoomMember {
  readonly connectionId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly role: Role;
  readonly remoteAddress: string | undefined;
  readonly connectedAt = Date.now();
  lastSeenAt = this.connectedAt;
  private readonly socket: WebSocket;
  private readonly options: TutorConnectionOptions;
  private readonly limiter: RateLimiter;
  private readonly invalid: SlidingWindowCounter;
  private ended = false;
  private closeInfo: CloseInfo | undefined;
  private readonly disposers: Array<() => void> = [];

  constructor(options: TutorConnectionOptions) {
    this.options = options;
    this.socket = options.socket;
    this.connectionId = options.connectionId;
    this.sessionId = options.sessionId;
    this.userId = options.principal.userId;
    this.role = options.principal.role;
    this.remoteAddress = options.remoteAddress;
    this.limiter = new RateLimiter(options.limits.rateLimitPerSecond, options.limits.rateLimitBurst, this.connectedAt);
    this.invalid = new SlidingWindowCounter(options.limits.invalidMessagesPerMinute, 60_000);
    this.listen('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.receive(data, isBinary);
      } catch (error) {
        // Thrown from a socket event it would be an uncaught exception: the whole server would
        // stop for one bad frame. Only this connection pays for a bug.
        this.options.logger.error({ event: 'tutor_receive_failed', connectionId: this.connectionId, err: describe(error) }, 'tutor message handling failed');
        this.close(CloseCode.InternalError, 'internal error');
      }
    });
    this.listen('pong', () => this.seen());
    this.listen('ping', () => this.seen());
    this.listen('error', (error: Error & { code?: string }) => {
      const code = error.code === undefined ? undefined : receiverCloseCodes[error.code];
      if (code !== undefined) {
        this.count(code);
        this.closeInfo ??= { code, reason: error.message };
      }
      this.options.logger.debug({ event: 'tutor_socket_error', connectionId: this.connectionId, err: describe(error) }, 'tutor socket error');
      this.end();
    });
    this.listen('close', (code: number, reason: Buffer) => {
      this.closeInfo ??= { code, reason: reason.toString() };
      this.end();
    });
  }

  /**
   * The code and reason the connection ended with, once it has: the one we sent, the one the
   * peer sent, or 1006 when the TCP connection was cut without a close frame. For the logs.
   */
  get closed(): CloseInfo | undefined {
    return this.closeInfo;
  }

  /** True once the connection has left its room (it may still be finishing its close handshake). */
  get gone(): boolean {
    return this.ended;
  }

  /** Writes one text frame; closes the connection (1013) instead when the peer is not reading. */
  send(data: string | Buffer): boolean {
    if (this.ended || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.options.limits.maxBufferedBytes) {
      this.options.logger.warn(
        { event: 'tutor_slow_consumer', connectionId: this.connectionId, sessionId: this.sessionId, bufferedBytes: this.socket.bufferedAmount },
        'closing a tutor connection that does not read',
      );
      this.close(CloseCode.TryAgainLater, 'slow consumer: send buffer full');
      return false;
    }
    try {
      // A room's broadcast sends to every member in one task: each socket's frames of that task
      // leave in one write instead of one system call per frame.
      if (this.options.tcp) this.options.coalescer?.hold(this.options.tcp);
      this.socket.send(data, { binary: false });
      return true;
    } catch (error) {
      this.options.logger.warn({ event: 'tutor_send_failed', connectionId: this.connectionId, err: describe(error) }, 'tutor send failed');
      this.terminate('send failed');
      return false;
    }
  }

  /** Sends a close frame and leaves the room at once; idempotent. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.count(code);
    this.closeInfo ??= { code, reason };
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
    this.end();
  }

  /** Drops the TCP connection without a close frame: the peer is not listening anyway. */
  terminate(reason: string): void {
    this.closeInfo ??= { code: abnormalClosure, reason };
    this.socket.terminate();
    this.end();
  }

  /** Sends a WebSocket ping for the heartbeat. */
  ping(): void {
    if (this.ended || this.socket.readyState !== this.socket.OPEN) return;
    try {
      this.socket.ping();
    } catch {
      this.terminate('ping failed');
    }
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const now = this.seen();
    const { stats } = this.options;
    stats.messagesReceived += 1;
    if (isBinary) {
      stats.invalidMessages += 1;
      this.sendError('unsupported_data', 'binary frames are not supported; send JSON text');
      this.close(CloseCode.UnsupportedData, 'binary frames are not supported');
      return;
    }
    const decision = this.limiter.take(now);
    if (decision !== 'accept') {
      stats.rateLimited += 1;
      if (decision === 'abusive') {
        this.close(CloseCode.PolicyViolation, 'rate limit exceeded');
      } else {
        this.sendError('rate_limited', 'too many messages; this one was dropped');
      }
      return;
    }
    const frame = parseClientMessage(data.toString('utf8'));
    switch (frame.kind) {
      case 'invalid':
        stats.invalidMessages += 1;
        this.sendError('invalid_message', frame.reason);
        if (this.invalid.hit(now)) this.close(CloseCode.PolicyViolation, 'too many invalid messages');
        return;
      case 'ping': {
        const pong: PongMessage = { type: 'pong', ts: now };
        this.send(JSON.stringify(pong));
        return;
      }
      case 'room':
        if (this.role === 'observer') {
          this.sendError('forbidden', 'observers may receive but not send');
          return;
        }
        this.options.onRoomMessage(this, frame.message);
        return;
      default: {
        const unreachable: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private sendError(code: ErrorCode, message: string): void {
    const error: ErrorMessage = { type: 'error', code, message };
    this.send(JSON.stringify(error));
  }

  private seen(): number {
    const now = Date.now();
    this.lastSeenAt = now;
    this.options.onSeen(this, now);
    return now;
  }

  private count(code: number): void {
    const { closeCodes } = this.options.stats;
    closeCodes[code] = (closeCodes[code] ?? 0) + 1;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    // Frames still arriving during the close handshake must not reach the room.
    for (const dispose of this.disposers.splice(0)) dispose();
    this.socket.on('error', ignore);
    this.options.onGone(this);
  }

  private listen(event: string, listener: (...args: any[]) => void): void {
    this.socket.on(event, listener);
    this.disposers.push(() => this.socket.off(event, listener));
  }
}

/** Errors after the end (e.g. a write racing the close) have nothing left to affect. */
function ignore(): void {}
