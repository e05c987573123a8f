/**
 * What one whiteboard socket may do before Hocuspocus sees its frames.
 *
 * - Before it authenticates, a socket gets `authTimeoutMs` and `maxUnauthenticatedBytes`
 *   (counted on the TCP socket, so a frame is cut off while it is still arriving, not after
 *   `ws` has buffered all of it). Hocuspocus's own pre-auth queue is bounded the same way.
 * - A socket belongs to one session: it may attach at most `maxDocumentsPerSocket` routing keys
 *   (a session-aware provider addresses `documentName\0sessionId`, and any number of those
 *   would each get a connection that receives and writes every edit).
 * - Awareness frames are bounded in bytes and in client entries before anything decodes them.
 */
import type { Socket } from 'node:net';
import { CloseCode } from '../closeCodes.ts';
import { awarenessEntryCount, MessageType, readHeader } from './frames.ts';

export interface SocketLimits {
  /**
   * Bytes a socket may send before it has authenticated (TCP level, frames and all).
   * @default 262144 (256 KiB, `MAX_UNAUTHENTICATED_BYTES`)
   */
  maxUnauthenticatedBytes: number;
  /**
   * Time a socket has to authenticate once it is open, in milliseconds.
   * @default 10000 (`AUTH_TIMEOUT_MS`)
   */
  authTimeoutMs: number;
  /**
   * Distinct documents (routing keys) one socket may attach.
   * @default 4 (`MAX_DOCUMENTS_PER_SOCKET`)
   */
  maxDocumentsPerSocket: number;
  /**
   * Largest awareness frame, in bytes.
   * @default 65536 (`MAX_AWARENESS_BYTES`)
   */
  maxAwarenessBytes: number;
  /**
   * Awareness clients one connection may own (and so at most this many entries per frame).
   * @default 4 (`MAX_AWARENESS_CLIENTS`)
   */
  maxAwarenessClients: number;
}

export const defaultSocketLimits: SocketLimits = {
  maxUnauthenticatedBytes: 256 * 1024,
  authTimeoutMs: 10_000,
  maxDocumentsPerSocket: 4,
  maxAwarenessBytes: 64 * 1024,
  maxAwarenessClients: 4,
};

/** The `ws` socket, as far as the guard needs it. */
export interface GuardedSocket {
  close(code: number, reason: string): void;
  terminate(): void;
}

export class SocketGuard {
  private readonly limits: SocketLimits;
  private readonly ws: GuardedSocket;
  private readonly tcp: Socket;
  /** The routing key attached first; a Set only once a socket attaches a second (rare). */
  private firstKey: string | undefined;
  private moreKeys: Set<string> | undefined;
  private unauthenticatedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The TCP data listener, only until the socket authenticates. */
  private counter: ((chunk: Buffer) => void) | undefined;
  private violated = false;

  constructor(ws: GuardedSocket, tcp: Socket, limits: SocketLimits, authenticated: boolean) {
    this.ws = ws;
    this.tcp = tcp;
    this.limits = limits;
    if (authenticated) return;
    this.counter = (chunk) => this.countUnauthenticated(chunk);
    tcp.on('data', this.counter);
    this.timer = setTimeout(timeOut, limits.authTimeoutMs, this);
    this.timer.unref();
  }

  /** Lifts the pre-authentication limits (a token was verified); idempotent. */
  authenticated(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counter) this.tcp.off('data', this.counter);
    this.counter = undefined;
  }

  /** The authentication deadline passed (called by the module's `timeOut`). */
  timedOut(): void {
    this.violation(CloseCode.Unauthorized, 'authentication timeout');
  }

  /**
   * True when the frame may go on to Hocuspocus. A frame Hocuspocus cannot parse passes: it
   * answers those itself. On a violation the socket is closed and false returned.
   */
  admit(frame: Uint8Array): boolean {
    if (this.violated) return false;
    let header: ReturnType<typeof readHeader>;
    try {
      header = readHeader(frame);
    } catch {
      return true;
    }
    if (!this.attach(header.key)) {
      return this.violation(CloseCode.PolicyViolation, `more than ${this.limits.maxDocumentsPerSocket} documents on one socket (MAX_DOCUMENTS_PER_SOCKET)`);
    }
    if (header.type === MessageType.Awareness) {
      if (frame.byteLength > this.limits.maxAwarenessBytes) {
        return this.violation(CloseCode.PolicyViolation, `awareness update larger than ${this.limits.maxAwarenessBytes} bytes (MAX_AWARENESS_BYTES)`);
      }
      let entries: number;
      try {
        entries = awarenessEntryCount(header);
      } catch {
        return true;
      }
      if (entries > this.limits.maxAwarenessClients) {
        return this.violation(CloseCode.PolicyViolation, `awareness update with ${entries} clients (MAX_AWARENESS_CLIENTS)`);
      }
    }
    return true;
  }

  /** Stops the timer and the byte count; idempotent. */
  dispose(): void {
    this.authenticated();
  }

  /** False when `key` would be one routing key too many for this socket. */
  private attach(key: string): boolean {
    if (this.firstKey === undefined) {
      this.firstKey = key;
      return true;
    }
    if (key === this.firstKey || this.moreKeys?.has(key)) return true;
    if (1 + (this.moreKeys?.size ?? 0) >= this.limits.maxDocumentsPerSocket) return false;
    (this.moreKeys ??= new Set()).add(key);
    return true;
  }

  private countUnauthenticated(chunk: Buffer): void {
    this.unauthenticatedBytes += chunk.byteLength;
    if (this.unauthenticatedBytes > this.limits.maxUnauthenticatedBytes) {
      this.violation(CloseCode.PolicyViolation, `more than ${this.limits.maxUnauthenticatedBytes} bytes before authenticating (MAX_UNAUTHENTICATED_BYTES)`);
      // Still sending: stop reading at once rather than buffer the rest of a large frame.
      this.ws.terminate();
    }
  }

  private violation(code: number, reason: string): false {
    if (!this.violated) {
      this.violated = true;
      this.dispose();
      this.ws.close(code, reason);
    }
    return false;
  }
}

/** Shared by every guard (setTimeout passes the guard), so a socket's deadline holds no closure. */
function timeOut(guard: SocketGuard): void {
  guard.timedOut();
}
