/**
 * The options and events of `TutorChannelClient`. Structural types only: nothing here needs the
 * DOM or Node typings, so the client type-checks in a browser project and in Node alike.
 */
import type { ErrorMessage, PresenceMessage, RoomMessage, WelcomeMessage } from '../tutor/protocol.ts';

/**
 * What the client needs of a WebSocket: the browser's, Node 22's global (undici) and the `ws`
 * package's all fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ReconnectOptions {
  /** First retry delay (before jitter), in ms. @default 500 */
  initialDelayMs?: number;
  /** Largest retry delay (before jitter), in ms. @default 30000 */
  maxDelayMs?: number;
}

export interface TutorChannelClientOptions {
  /** `ws(s)://HOST:PORT/ws/v2/session/{sessionId}` */
  url: string;
  /** The JWT, or a function asked before every (re)connect so that a fresh token can be used. */
  token: string | (() => string | Promise<string>);
  /** `false` disables reconnecting. */
  reconnect?: ReconnectOptions | false;
  /**
   * Messages `send` keeps while the connection is not open, sent in order once it opens; past
   * this `send` returns false. `0` turns queueing off (send returns false unless open). Keep it
   * at or below the server's `TUTOR_RATE_LIMIT_BURST`, since the queue goes out at once.
   * @default 100
   */
  maxQueuedMessages?: number;
  /** Send a ping after this long without hearing anything, in ms. @default the server's heartbeatIntervalMs */
  pingIntervalMs?: number;
  /** Give up on a connection silent this long and reconnect, in ms. @default the server's staleTimeoutMs */
  staleTimeoutMs?: number;
  /** A WebSocket constructor other than the global one (e.g. the `ws` package's on Node < 22). */
  WebSocket?: WebSocketConstructor;
}

export interface CloseEventInfo {
  code: number;
  reason: string;
  /** Whether the client will try again (after `delayMs`). */
  reconnecting: boolean;
  delayMs?: number;
}

export interface TutorChannelClientEvents {
  /** The socket is open; queued messages have just been sent. The `welcome` follows. */
  open: [];
  /** The server accepted this connection: identity, peers, heartbeat settings. After every (re)connect. */
  welcome: [WelcomeMessage];
  message: [RoomMessage];
  presence: [PresenceMessage];
  /** An `error` message from the server (the connection stays open unless a close follows). */
  error: [ErrorMessage];
  /** The connection ended (or a connect failed, code 1006); `reconnecting` says whether it tries again. */
  close: [CloseEventInfo];
}

export type ClientState = 'connecting' | 'open' | 'waiting' | 'closed';
