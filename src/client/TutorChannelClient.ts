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
 * browser, so after failed connects the client asks the server why (src/client/RefusalCheck.ts).
 */
import { isControlMessage, isReservedType, type IncomingMessage, type OutgoingMessage, type Peer, type WelcomeMessage } from '../tutor/protocol.ts';
import { clientCloseCodes, finalCloseCodes } from './closeCodes.ts';
import { Listeners } from './Listeners.ts';
import { Liveness } from './Liveness.ts';
import { parseServerMessage } from './parseServerMessage.ts';
import { RefusalCheck, type Refusal } from './RefusalCheck.ts';
import { RoomView } from './RoomView.ts';
import { watchNetwork } from './watchNetwork.ts';
import type {
  ClientState,
  TutorChannelClientEvents,
  TutorChannelClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './TutorChannelClientOptions.ts';

const openState = 1;

export class TutorChannelClient {
  private readonly options: TutorChannelClientOptions;
  private readonly listeners = new Listeners<TutorChannelClientEvents>();
  private readonly url: URL;
  private readonly unwatchNetwork: () => void;
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
  private readonly refusals: RefusalCheck;
  private pendingCheck: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly liveness: Liveness;
  private readonly room = new RoomView();

  /** Throws a TypeError for a URL that is not ws: or wss: (retrying could never help). */
  constructor(options: TutorChannelClientOptions) {
    this.options = options;
    this.url = new URL(options.url);
    if (this.url.protocol !== 'ws:' && this.url.protocol !== 'wss:') {
      throw new TypeError(`TutorChannelClient: url must start with ws:// or wss://, got ${JSON.stringify(options.url)}`);
    }
    this.liveness = new Liveness({
      welcomeTimeoutMs: options.welcomeTimeoutMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs,
      staleTimeoutMs: options.staleTimeoutMs,
      ping: () => this.sendText('{"type":"ping"}'),
      dead: (reason) => {
        // The close handshake cannot complete on a dead link: do not wait for it.
        const socket = this.detach();
        if (socket) closeQuietly(socket, clientCloseCodes.silent, 'no sign of life');
        this.dropped(clientCloseCodes.silent, reason);
      },
    });
    this.refusals = new RefusalCheck({
      afterFailures: options.refusalCheckAfterFailures ?? 1,
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs: options.welcomeTimeoutMs ?? 10_000,
      tokenCanChange: typeof options.token === 'function',
    });
    this.unwatchNetwork = watchNetwork(options.network, { offline: () => this.offline(), online: () => this.online() });
    void this.connect();
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** The latest welcome (identity, heartbeat settings), once connected. */
  get welcome(): WelcomeMessage | undefined {
    return this.room.welcome;
  }

  /** The highest room seq seen; the next reconnect asks for everything after it. */
  get lastSeq(): number | undefined {
    return this.room.seq;
  }

  /** The other connections in the room now, kept from welcome and presence. */
  get peers(): Peer[] {
    return [...this.room.peers.values()];
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
    const refused = this.refusals.refusalOf(token);
    if (refused) {
      this.refuse(refused, true);
      return;
    }
    const url = new URL(this.url);
    url.searchParams.set('token', token);
    this.room.resumeOn(url);
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
      this.refusals.opened();
      this.stateValue = 'open';
      this.liveness.opened();
      this.flushQueue();
      this.emit('open');
    };
    socket.onmessage = (event: { data: unknown }) => {
      this.liveness.heard();
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
    if (!isControlMessage(message)) {
      if (this.room.accept(message)) this.emit('message', message);
      return;
    }
    switch (message.type) {
      case 'welcome':
        this.attempt = 0;
        this.refusals.welcomed();
        this.room.welcomed(message);
        this.liveness.welcomed(message);
        this.emit('welcome', message);
        return;
      case 'presence':
        this.room.presence(message);
        this.emit('presence', message);
        return;
      case 'pong':
        return;
      case 'error':
        this.emit('error', message);
        return;
    }
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
    const check = !this.opened && this.attemptUrl !== undefined ? this.refusals.failed(this.attemptUrl, this.attemptToken) : undefined;
    this.pendingCheck = check?.then((found) => {
      if (found && generation === this.generation && this.stateValue === 'waiting') this.refuse(found.refusal, found.final);
    });
    // The retry waits for a pending check too: a refusal must stop it before it asks again.
    this.retryTimer = setTimeout(() => {
      void Promise.resolve(this.pendingCheck).then(() => {
        if (generation === this.generation && this.stateValue === 'waiting') void this.connect();
      });
    }, delayMs);
    this.emit('close', { code, reason, reconnecting: true, delayMs });
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
    this.unwatchNetwork();
    this.emit('close', { code, reason, reconnecting: false });
  }

  private offline(): void {
    if (this.stateValue === 'closed' || this.stateValue === 'offline') return;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.stateValue = 'offline';
    const socket = this.detach();
    // Its close frame may never get through; the server notices by its own heartbeat if not.
    if (socket) closeQuietly(socket, clientCloseCodes.offline, 'offline');
    this.emit('close', { code: clientCloseCodes.offline, reason: 'the device is offline', reconnecting: true });
  }

  private online(): void {
    if (this.stateValue !== 'offline' && this.stateValue !== 'waiting') return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.refusals.reset();
    void this.connect();
  }

  /** Forgets the current socket (its late events are ignored) and returns it. */
  private detach(): WebSocketLike | undefined {
    this.liveness.stop();
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
