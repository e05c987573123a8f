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

/** What the client needs of `fetch` (the global one fits) to ask the server why connects fail. */
export type FetchLike = (
  url: string,
  init: { signal?: any; cache?: 'no-store'; credentials?: 'omit' },
) => Promise<{ readonly status: number; text(): Promise<string> }>;

/** Where `online` and `offline` events come from: `window` in a browser fits. */
export interface NetworkEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

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
  /**
   * How long to wait for the server, in ms: for its `welcome` once the socket is open (a socket
   * that opens and then stays silent is dropped with 4000 and retried; the heartbeat only starts
   * with the welcome), and for the answer to a refusal check.
   * @default 10000
   */
  welcomeTimeoutMs?: number;
  /**
   * After this many connects in a row failed before the socket opened, ask the server why: a GET
   * on the same URL over http(s) answers the status the upgrade was refused with, which a browser
   * cannot see. 400, 401 and 403 stop the client (`refused`, then `close` with 4000 + status;
   * with a `token` function, 401/403 stop only when the function gives the refused token again);
   * 429 and 503 are reported and retried. `0` turns the check off.
   * @default 1
   */
  refusalCheckAfterFailures?: number;
  /** The `fetch` for the refusal check. @default globalThis.fetch (no check without one) */
  fetch?: FetchLike;
  /**
   * Where `online`/`offline` events come from; `false` ignores them. Browsers keep sockets open
   * while offline, so on `offline` the client closes its socket (4001) and waits, and on `online`
   * it connects at once instead of after its backoff.
   * @default globalThis.window, when there is one (browsers)
   */
  network?: NetworkEvents | false;
  /** A WebSocket constructor other than the global one (e.g. the `ws` package's on Node < 22). */
  WebSocket?: WebSocketConstructor;
}

/** The server refused this client's connects, and why (learned by the refusal check). */
export interface RefusalInfo {
  /** The HTTP status the upgrade was refused with: 400, 401, 403, 429 or 503. */
  status: number;
  /** The server's error code, e.g. `unauthorized`, `forbidden`, `session_full`, `shutting_down`. */
  code: string;
  message: string;
  /** True when the client stopped (a `close` with `reconnecting: false` follows); false when it retries. */
  final: boolean;
}

export interface CloseEventInfo {
  code: number;
  reason: string;
  /** Whether the client will try again: after `delayMs`, or, without it, once the device is online. */
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
  /** The server refuses the connects (401, 403, 429…), found out after failed connects; `final` says whether it stopped. */
  refused: [RefusalInfo];
}

/** `waiting`: for the next retry; `offline`: for the device to be online again; `closed`: for good. */
export type ClientState = 'connecting' | 'open' | 'waiting' | 'offline' | 'closed';
