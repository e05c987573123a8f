/**
 * The whiteboard path's sockets: the pre-upgrade token check, the `ws` server (with the frame
 * limit), and the glue that hands each socket to Hocuspocus. Hocuspocus 4 speaks to any
 * WebSocket-like object; this is where ours are made and tracked until they close.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hocuspocus } from '@hocuspocus/server';
import { WebSocketServer, type WebSocket } from 'ws';
import { admit, type AdmissionLimits } from '../admission.ts';
import { tokenFromRequest, type Authenticator } from '../auth.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionRegistry } from '../registry.ts';
import { SendCoalescer } from './SendCoalescer.ts';
import type { SocketLimits } from './SocketGuard.ts';
import type { WhiteboardContext } from './WhiteboardContext.ts';
import { WhiteboardSocket, type WhiteboardSocketEnvironment } from './WhiteboardSocket.ts';

export interface WhiteboardSocketsOptions {
  hocuspocus: Hocuspocus<WhiteboardContext>;
  authenticator: Authenticator;
  registry: ConnectionRegistry;
  logger: Logger;
  /** Largest frame in bytes; `ws` closes a socket that sends more with 1009. */
  maxMessageBytes: number;
  /** Every close code the server sends on this path, for metrics. */
  onCloseSent?: (code: number) => void;
  /** Pre-authentication, attachment and awareness bounds per socket. */
  limits: SocketLimits;
  /** Per-session and per-user connection limits, checked here when the upgrade carries a token. */
  admission: AdmissionLimits;
}

export class WhiteboardSockets {
  private readonly options: WhiteboardSocketsOptions;
  private readonly wss: WebSocketServer;
  private readonly open = new Set<WhiteboardSocket>();
  private readonly coalescer = new SendCoalescer();
  private environment: WhiteboardSocketEnvironment | undefined;

  constructor(options: WhiteboardSocketsOptions) {
    this.options = options;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  }

  /**
   * Upgrades a request for `sessionId`. A header or query token is verified first, so a bad one
   * gets its 401/403 before any socket exists (the thrown TutorboardError says which); without
   * one, the provider's own token is checked later in onAuthenticate. A full session or user
   * (CapacityError, 429) is refused here too when the token says who connects.
   */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL, sessionId: string): void {
    const principal = this.check(request.headers.authorization, url, sessionId);
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, sessionId, principal));
  }

  /**
   * The checks `upgrade` runs before the socket exists: the principal of a header or query token
   * (undefined without one), or a thrown TutorboardError (401/403/429). A plain GET asks this too.
   */
  check(authorization: string | undefined, url: URL, sessionId: string): WhiteboardContext['principal'] {
    const token = tokenFromRequest(authorization, url);
    const principal = token === undefined ? undefined : this.options.authenticator.authenticate(token, sessionId);
    if (principal) admit(this.options.registry, sessionId, principal, this.options.admission);
    return principal;
  }

  get size(): number {
    return this.open.size;
  }

  /** Closes every open socket with `code`; providers reconnect on their own. */
  closeAll(code: number, reason: string): void {
    for (const socket of this.open) socket.close(code, reason);
  }

  /** Stops the `ws` server (open sockets are closed separately, with a code). Idempotent. */
  close(): void {
    this.wss.close();
    this.coalescer.dispose();
  }

  private accept(ws: WebSocket, request: IncomingMessage, sessionId: string, principal: WhiteboardContext['principal']): void {
    const { hocuspocus, registry, logger, onCloseSent, limits } = this.options;
    this.environment ??= { hocuspocus, registry, logger, limits, onCloseSent, coalescer: this.coalescer, open: this.open };
    new WhiteboardSocket(this.environment, ws, request, {
      connectionId: randomUUID(),
      sessionId,
      principal,
      remoteAddress: request.socket.remoteAddress,
      connectedAt: Date.now(),
    });
  }
}
