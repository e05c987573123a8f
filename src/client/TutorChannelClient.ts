/**
 * A tutor channel client for browsers and Node 22 (the global `WebSocket`; no `ws` import).
 * Reconnects with jittered exponential backoff and resumes with `?since=` so that a network blip
 * does not lose messages. Browsers never expose WebSocket pings to scripts, so the client keeps
 * its own view of liveness: a bounded wait for the `welcome` after the socket opens, then a
 * `{"type":"ping"}` after a quiet spell, and a connection silent past the server's stale timeout
 * is dead. Browsers also keep sockets open while offline: `offline`/`online` events drop the
 * socket at once and reconnect as soon as the network is back.
 *
 * A failed connect ends differently per implementation: browsers fire `error` then `close`, Node's
 * undici fires only `error` (readyState stays CONNECTING), and a constructor may throw. All of
 * them become one `close` event (1006) and a retry. A refused upgrade looks just the same to a
 * browser, so after failed connects the client asks the server why (src/client/checkRefusal.ts).
 */
import { isControlMessage, isReservedType, type ControlMessage, type IncomingMessage, type OutgoingMessage, type Peer, type WelcomeMessage } from '../tutor/protocol.ts';
import { checkRefusal, type Refusal } from './checkRefusal.ts';
import { Listeners } from './Listeners.ts';
import { parseServerMessage } from './parseServerMessage.ts';
import type {
  ClientState,
  NetworkEvents,
  TutorChannelClientEvents,
  TutorChannelClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './TutorChannelClientOptions.ts';

export type {
  ClientState,
  CloseEventInfo,
  FetchLike,
  NetworkEvents,
  ReconnectOptions,
  RefusalInfo,
  TutorChannelClientEvents,
  TutorChannelClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './TutorChannelClientOptions.ts';

/** Close codes after which trying again cannot help: policy, bad data, auth, kicks. */
export const finalCloseCodes: readonly number[] = [1003, 1008, 4401, 4403];

/**
 * Codes of the `close` events the client makes up itself (never sent by the server). A final
 * refusal closes with 4000 + the HTTP status (4400, 4401, 4403).
 */
export const clientCloseCodes = {
  /** A failed connect, or a socket that broke without a close frame (the WebSocket "abnormal closure"). */
  connectionFailed: 1006,
  /** No `welcome` within `welcomeTimeoutMs` of opening, or silence past the stale timeout. */
  silent: 4000,
  /** The device went offline (`offline` event). */
  offline: 4001,
  /** `reconnect()` dropped the connection. */
  reconnect: 4002,
} as const;

const openState = 1;

export class TutorChannelClient {
  private readonly options: TutorChannelClientOptions;
  private readonly listeners = new Listeners<TutorChannelClientEvents>();
  private readonly url: URL;
  private readonly network: NetworkEvents | undefined;
  private socket: WebSocketLike | undefined;
  /** Messages sent while not open, serialized when sent, oldest first (at most maxQueuedMessages). */
  private readonly queue: string[] = [];
  private stateValue: ClientState = 'connecting';
  /** Bumped by every connect, reconnect(), offline and stop: async work of an older one is ignored. */
  private generation = 0;
  private attempt = 0;
  /** The current attempt's socket URL and token, and whether its socket opened. */
  private attemptUrl: string | undefined;
  private attemptToken = '';
  private opened = false;
  /** Connects in a row that failed before their socket opened. */
  private failedOpens = 0;
  private pendingCheck: Promise<void> | undefined;
  /** A 401/403 for a token from the token function: the same token is not sent again. */
  private refusedToken: { token: string; refusal: Refusal } | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private welcomeTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeardAt = 0;
  private lastPingAt = 0;
  private welcomeValue: WelcomeMessage | undefined;
  private seq: number | undefined;
  private epoch: string | undefined;
  /** This client's earlier connection ids, so a replay does not hand it back its own messages. */
  private readonly ownConnectionIds: string[] = [];
  private readonly peerMap = new Map<string, Peer>();

  /** Throws a TypeError for a URL that is not ws: or wss: (retrying could never help). */
  constructor(options: TutorChannelClientOptions) {
    this.options = options;
    this.url = new URL(options.url);
    if (this.url.protocol !== 'ws:' && this.url.protocol !== 'wss:') {
      throw new TypeError(`TutorChannelClient: url must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    }
    this.network = options.network === false ? undefined : (options.network ?? browserWindow());
    this.network?.addEventListener('offline', this.onOffline);
    this.network?.addEventListener('online', this.onOnline);
    void this.connect();
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** The latest welcome (identity, heartbeat settings), once connected. */
  get welcome(): WelcomeMessage | undefined {
    return this.welcomeValue;
  }

  /** The highest room seq seen; the next reconnect asks for everything after it. */
  get lastSeq(): number | undefined {
    return this.seq;
  }

  /** The other connections in the room now, kept from welcome and presence. */
  get peers(): Peer[] {
    return [...this.peerMap.values()];
  }

  on<E extends keyof TutorChannelClientEvents>(event: E, listener: (...args: TutorChannelClientEvents[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  /** Messages waiting for the connection to open. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /**
   * Sends a room message, or queues it while the connection is not open (it goes out, in order,
   * as soon as it opens). False when it was dropped: the client is closed, or the queue is full
   * (`maxQueuedMessages`, 100 by default).
   */
  send(message: OutgoingMessage): boolean {
    if (isReservedType(message.type)) throw new TypeError(`"${message.type}" is reserved for the server`);
    if (this.stateValue === 'closed') return false;
    const text = JSON.stringify(message);
    if (this.sendText(text)) return true;
    if (this.queue.length >= (this.options.maxQueuedMessages ?? 100)) return false;
    this.queue.push(text);
    return true;
  }

  /**
   * Drops the connection (a `close` with 4002 when there was one) and connects again at once,
   * skipping any backoff wait, e.g. when the app knows the network changed. Does nothing once closed.
   */
  reconnect(): void {
    if (this.stateValue === 'closed') return;
    const generation = (this.generation += 1);
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    const socket = this.detach();
    if (socket) {
      closeQuietly(socket, clientCloseCodes.reconnect, 'reconnecting');
      this.emit('close', { code: clientCloseCodes.reconnect, reason: 'reconnect() called', reconnecting: true, delayMs: 0 });
      if (generation !== this.generation) return; // a close listener closed the client
    }
    void this.connect();
  }

  /** Stops for good: closes the socket (1000) and cancels any reconnect. Idempotent. */
  close(): void {
    const socket = this.socket;
    if (this.stateValue === 'closed') return;
    this.stop(1000, 'client closed');
    if (socket) closeQuietly(socket, 1000, 'client closed');
  }

  private async connect(): Promise<void> {
    const generation = (this.generation += 1);
    this.stateValue = 'connecting';
    this.attemptUrl = undefined;
    this.opened = false;
    let token: string;
    try {
      token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    } catch (error) {
      if (generation === this.generation) this.dropped(clientCloseCodes.connectionFailed, `token provider failed: ${describe(error)}`);
      return;
    }
    if (generation !== this.generation || this.stateValue !== 'connecting') return;
    if (this.refusedToken && this.refusedToken.token === token) {
      this.refuse(this.refusedToken.refusal, true);
      return;
    }
    const url = new URL(this.url);
    url.searchParams.set('token', token);
    if (this.seq !== undefined) url.searchParams.set('since', String(this.seq));
    if (this.epoch !== undefined) url.searchParams.set('epoch', this.epoch);
    const Socket: WebSocketConstructor = this.options.WebSocket ?? globalThis.WebSocket;
    let socket: WebSocketLike;
    try {
      socket = new Socket(url.toString());
    } catch (error) {
      this.dropped(clientCloseCodes.connectionFailed, `cannot open a WebSocket: ${describe(error)}`);
      return;
    }
    this.socket = socket;
    this.attemptUrl = url.toString();
    this.attemptToken = token;
    socket.onopen = () => {
      this.opened = true;
      this.failedOpens = 0;
      this.lastHeardAt = Date.now();
      this.stateValue = 'open';
      const welcomeTimeoutMs = this.options.welcomeTimeoutMs ?? 10_000;
      this.welcomeTimer = setTimeout(() => {
        if (this.socket !== socket) return;
        closeQuietly(this.detach()!, clientCloseCodes.silent, 'no welcome');
        this.dropped(clientCloseCodes.silent, `no welcome within ${welcomeTimeoutMs} ms`);
      }, welcomeTimeoutMs);
      this.flushQueue();
      this.emit('open');
    };
    socket.onmessage = (event: { data: unknown }) => {
      this.lastHeardAt = Date.now();
      // Binary frames and anything else a tutorboard server does not send: nothing sensible to do.
      const message = typeof event.data === 'string' ? parseServerMessage(event.data) : undefined;
      if (message) this.receive(message);
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (this.socket === socket) this.dropped(event.code, event.reason);
    };
    // Browsers follow an error with close; undici does not when a connect fails. Whichever
    // comes first ends this socket; the other then finds it detached.
    socket.onerror = () => {
      if (this.socket !== socket) return;
      closeQuietly(this.detach()!);
      this.dropped(clientCloseCodes.connectionFailed, 'connection failed');
    };
  }

  private receive(message: IncomingMessage): void {
    if (isControlMessage(message)) {
      this.receiveControl(message);
      return;
    }
    if (message.from.connectionId !== undefined && this.ownConnectionIds.includes(message.from.connectionId)) return;
    if (this.seq === undefined || message.seq > this.seq) this.seq = message.seq;
    this.emit('message', message);
  }

  private receiveControl(message: ControlMessage): void {
    switch (message.type) {
      case 'welcome':
        clearTimeout(this.welcomeTimer);
        this.welcomeValue = message;
        // Replayed messages (if any) follow at once and are all <= this seq.
        this.seq = message.seq;
        this.epoch = message.epoch;
        this.attempt = 0;
        this.refusedToken = undefined;
        this.ownConnectionIds.push(message.connectionId);
        if (this.ownConnectionIds.length > 16) this.ownConnectionIds.shift();
        this.peerMap.clear();
        for (const peer of message.peers) this.peerMap.set(peer.connectionId, peer);
        this.startHeartbeat(message);
        this.emit('welcome', message);
        return;
      case 'presence':
        if (message.event === 'join') {
          this.peerMap.set(message.connectionId, { connectionId: message.connectionId, userId: message.userId, role: message.role });
        } else {
          this.peerMap.delete(message.connectionId);
        }
        this.emit('presence', message);
        return;
      case 'pong':
        return;
      case 'error':
        this.emit('error', message);
        return;
    }
  }

  private startHeartbeat(welcome: WelcomeMessage): void {
    clearInterval(this.heartbeatTimer);
    const pingAfter = this.options.pingIntervalMs ?? welcome.heartbeatIntervalMs;
    const staleAfter = this.options.staleTimeoutMs ?? welcome.staleTimeoutMs;
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastHeardAt >= staleAfter) {
        // The close handshake cannot complete on a dead link: do not wait for it.
        closeQuietly(this.detach()!, clientCloseCodes.silent, 'no sign of life');
        this.dropped(clientCloseCodes.silent, 'no sign of life from the server');
      } else if (now - this.lastHeardAt >= pingAfter && now - this.lastPingAt >= pingAfter) {
        this.lastPingAt = now;
        this.sendText('{"type":"ping"}');
      }
    }, Math.max(10, Math.min(pingAfter, staleAfter) / 2));
  }

  private dropped(code: number, reason: string): void {
    this.detach();
    if (this.stateValue === 'closed' || this.stateValue === 'offline') return;
    if (this.options.reconnect === false || finalCloseCodes.includes(code)) {
      this.stop(code, reason);
      return;
    }
    const reconnect = this.options.reconnect;
    const base = Math.min(reconnect?.maxDelayMs ?? 30_000, (reconnect?.initialDelayMs ?? 500) * 2 ** this.attempt);
    // Half fixed, half random: spread out the herd after a restart, never retry in a tight loop.
    const delayMs = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt += 1;
    this.stateValue = 'waiting';
    const generation = this.generation;
    if (!this.opened && this.attemptUrl !== undefined) {
      this.failedOpens += 1;
      const checkAfter = this.options.refusalCheckAfterFailures ?? 1;
      const fetch = this.options.fetch ?? globalThis.fetch;
      if (checkAfter > 0 && this.failedOpens >= checkAfter && fetch) {
        this.pendingCheck = this.askWhy(this.attemptUrl, this.attemptToken, fetch, generation);
      }
    }
    // The retry waits for a pending check too: a refusal must stop it before it asks again.
    this.retryTimer = setTimeout(() => {
      void Promise.resolve(this.pendingCheck).then(() => {
        if (generation === this.generation && this.stateValue === 'waiting') void this.connect();
      });
    }, delayMs);
    this.emit('close', { code, reason, reconnecting: true, delayMs });
  }

  private async askWhy(url: string, token: string, fetch: NonNullable<TutorChannelClientOptions['fetch']>, generation: number): Promise<void> {
    const refusal = await checkRefusal(url, fetch, this.options.welcomeTimeoutMs ?? 10_000);
    if (!refusal || generation !== this.generation || this.stateValue !== 'waiting') return;
    const { status } = refusal;
    const badToken = status === 401 || status === 403;
    // A token function may hand out a better token next time: stop only if it hands out this one again.
    if (badToken && typeof this.options.token === 'function') this.refusedToken = { token, refusal };
    this.refuse(refusal, status === 400 || (badToken && typeof this.options.token !== 'function'));
  }

  private refuse(refusal: Refusal, final: boolean): void {
    this.emit('refused', { ...refusal, final });
    if (final) this.stop(4000 + refusal.status, `${refusal.code}: ${refusal.message}`);
  }

  /** Closed for good: no socket, no timers, no network listeners, an empty queue; one final `close` event. */
  private stop(code: number, reason: string): void {
    if (this.stateValue === 'closed') return;
    this.generation += 1;
    this.stateValue = 'closed';
    this.queue.length = 0;
    clearTimeout(this.retryTimer);
    this.detach();
    this.network?.removeEventListener('offline', this.onOffline);
    this.network?.removeEventListener('online', this.onOnline);
    this.emit('close', { code, reason, reconnecting: false });
  }

  private readonly onOffline = (): void => {
    if (this.stateValue === 'closed' || this.stateValue === 'offline') return;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.stateValue = 'offline';
    const socket = this.detach();
    // Its close frame may never get through; the server notices by its own heartbeat if not.
    if (socket) closeQuietly(socket, clientCloseCodes.offline, 'offline');
    this.emit('close', { code: clientCloseCodes.offline, reason: 'the device is offline', reconnecting: true });
  };

  private readonly onOnline = (): void => {
    if (this.stateValue !== 'offline' && this.stateValue !== 'waiting') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.failedOpens = 0;
    void this.connect();
  };

  /** Forgets the current socket (its late events are ignored) and returns it. */
  private detach(): WebSocketLike | undefined {
    clearTimeout(this.welcomeTimer);
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Not null: the `ws` package throws an 'error' that nobody listens to.
      socket.onerror = () => {};
    }
    return socket;
  }

  private flushQueue(): void {
    while (this.queue.length > 0 && this.sendText(this.queue[0])) this.queue.shift();
  }

  private sendText(text: string): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== openState || this.stateValue !== 'open') return false;
    socket.send(text);
    return true;
  }

  private emit<E extends keyof TutorChannelClientEvents>(event: E, ...args: TutorChannelClientEvents[E]): void {
    this.listeners.emit(event, ...args);
  }
}

/** `window` in a browser; nothing in Node (unless a test puts one there). */
function browserWindow(): NetworkEvents | undefined {
  const candidate = (globalThis as { window?: Partial<NetworkEvents> }).window;
  return typeof candidate?.addEventListener === 'function' && typeof candidate.removeEventListener === 'function'
    ? (candidate as NetworkEvents)
    : undefined;
}

/** close() throws for a socket that is already closing on some implementations, and for odd codes on others. */
function closeQuietly(socket: WebSocketLike, code?: number, reason?: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closing, or never opened
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
