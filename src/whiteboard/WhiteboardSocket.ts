/**
 * One whiteboard socket: the socket Hocuspocus writes to, and everything tutorboard keeps per
 * socket (its guard, its inbound queue, its context).
 *
 * - Every close the server sends goes through `close` (Hocuspocus's own included), which reports
 *   its code before the frame goes out.
 * - While the client's close frame has arrived (`ws` is CLOSING) but frames received before it
 *   still wait in the inbound queue, `readyState` says OPEN: Hocuspocus ends a document
 *   connection at its first send on a closing socket and would then drop those frames. Sends in
 *   that window go nowhere (`ws` discards them); the frames are applied and logged.
 * - Frames of one task go out in one write (SendCoalescer).
 *
 * A server holds thousands of these, mostly idle: the socket listeners and the context's
 * functions are shared by all of them (plain functions that find their socket through `this`),
 * and Hocuspocus gets a plain request object (the upgrade's path and headers) rather than a
 * fetch `Request` with its AbortSignal and parsed URL.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Hocuspocus, WebSocketLike } from '@hocuspocus/server';
import type { WebSocket } from 'ws';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionRegistry } from '../registry.ts';
import { InboundQueue } from './InboundQueue.ts';
import type { SendCoalescer } from './SendCoalescer.ts';
import { SocketGuard, type SocketLimits } from './SocketGuard.ts';
import { contextSocket, type WhiteboardContext } from './WhiteboardContext.ts';

/** What every socket of the path shares. */
export interface WhiteboardSocketEnvironment {
  hocuspocus: Hocuspocus<WhiteboardContext>;
  registry: ConnectionRegistry;
  logger: Logger;
  limits: SocketLimits;
  coalescer: SendCoalescer;
  /** The sockets not yet closed. */
  open: Set<WhiteboardSocket>;
  onCloseSent?: (code: number) => void;
}

const owner = Symbol('whiteboardSocket');

type OwnedWebSocket = WebSocket & { [owner]: WhiteboardSocket };

export class WhiteboardSocket implements WebSocketLike {
  readonly ws: WebSocket;
  readonly context: WhiteboardContext;
  readonly guard: SocketGuard;
  private readonly tcp: Socket;
  private readonly environment: WhiteboardSocketEnvironment;
  private readonly inbound: InboundQueue;
  private readonly client: ReturnType<Hocuspocus['handleConnection']>;

  constructor(
    environment: WhiteboardSocketEnvironment,
    ws: WebSocket,
    request: IncomingMessage,
    context: Omit<WhiteboardContext, 'closeSocket' | 'authenticated' | 'isOpen' | typeof contextSocket>,
  ) {
    this.environment = environment;
    this.ws = ws;
    this.tcp = request.socket;
    this.guard = new SocketGuard(this, this.tcp, environment.limits, context.principal !== undefined);
    this.context = { ...context, closeSocket, authenticated, isOpen, [contextSocket]: this };
    this.client = environment.hocuspocus.handleConnection(this, upgradeRequest(request), this.context);
    this.inbound = new InboundQueue(this.client.handleMessage, ws);
    environment.open.add(this);
    (ws as OwnedWebSocket)[owner] = this;
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  get readyState(): number {
    const { ws } = this;
    return ws.readyState === ws.CLOSING && this.inbound.size > 0 ? ws.OPEN : ws.readyState;
  }

  send(data: unknown): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.environment.coalescer.hold(this.tcp);
    this.ws.send(data as Uint8Array);
  }

  close(code?: number, reason?: string): void {
    const { ws } = this;
    // A second close (shutdown after a kick, say) sends no frame: nothing to count.
    if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
    if (code !== undefined) this.environment.onCloseSent?.(code);
    ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  get isOpen(): boolean {
    return this.environment.open.has(this);
  }

  /** A frame arrived: checked, counted as activity, queued for Hocuspocus. */
  received(data: Buffer): void {
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!this.guard.admit(frame)) return;
    this.environment.registry.touch(this.context.connectionId);
    this.inbound.push(frame);
  }

  failed(error: Error): void {
    const { connectionId, sessionId } = this.context;
    this.environment.logger.warn({ event: 'socket_error', connectionId, sessionId, err: describe(error) }, 'whiteboard socket error');
  }

  closed(code: number, reason: Buffer): void {
    this.environment.open.delete(this);
    this.guard.dispose();
    // Frames that arrived before the close are still applied (and logged first).
    this.inbound.flush();
    this.context.closed = { code, reason: reason.toString() };
    this.client.handleClose(this.context.closed);
    this.environment.registry.remove(this.context.connectionId, this.context.closed);
  }
}

// Listeners shared by every socket: `ws` calls them with itself as `this`.
function onMessage(this: WebSocket, data: Buffer): void {
  (this as OwnedWebSocket)[owner].received(data);
}
function onError(this: WebSocket, error: Error): void {
  (this as OwnedWebSocket)[owner].failed(error);
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as OwnedWebSocket)[owner].closed(code, reason);
}

// The context's functions, shared: Hocuspocus copies the context (symbol keys included) and
// calls them on a copy, which still names its socket.
function closeSocket(this: WhiteboardContext, code: number, reason: string): void {
  this[contextSocket].close(code, reason);
}
function authenticated(this: WhiteboardContext): void {
  this[contextSocket].guard.authenticated();
}
function isOpen(this: WhiteboardContext): boolean {
  return this[contextSocket].isOpen;
}

/**
 * What Hocuspocus 4 reads of the upgrade request (`url` for `requestParameters`, `headers` for
 * `requestHeaders`), without a fetch `Request`: the path and query as received (Hocuspocus
 * parses path-only URLs too) and the headers as fetch `Headers`.
 */
function upgradeRequest(request: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  return { method: 'GET', url: request.url ?? '/', headers } as unknown as Request;
}
