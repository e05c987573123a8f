/**
 * A tutor channel client for browsers and Node 22 (the global `WebSocket`; no `ws` import).
 * Reconnects with jittered exponential backoff and resumes with `?since=` so that a network blip
 * does not lose messages. Browsers never expose WebSocket pings to scripts, so the client keeps
 * its own view of liveness: it sends `{"type":"ping"}` after a quiet spell and treats a
 * connection that stays silent past the server's stale timeout as dead.
 *
 * A failed connect ends differently per implementation: browsers fire `error` then `close`, Node's
 * undici fires only `error` (readyState stays CONNECTING), and a constructor may throw. All of
 * them become one `close` event (1006) and a retry.
 */
import {
  isControlMessage,
  isReservedType,
  type ControlMessage,
  type IncomingMessage,
  type OutgoingMessage,
  type Peer,
  type WelcomeMessage,
} from '../tutor/protocol.ts';
import type {
  ClientState,
  TutorChannelClientEvents,
  TutorChannelClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './TutorChannelClientOptions.ts';

export type {
  ClientState,
  CloseEventInfo,
  ReconnectOptions,
  TutorChannelClientEvents,
  TutorChannelClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './TutorChannelClientOptions.ts';

/** Close codes after which trying again cannot help: policy, bad data, auth, kicks. */
export const finalCloseCodes: readonly number[] = [1003, 1008, 4401, 4403];

const closeTimeoutCode = 4000;

/** What a failed connect or a broken socket reports: the WebSocket "abnormal closure" code. */
const connectionFailedCode = 1006;

const openState = 1;

/** Listeners are stored untyped; `on` and `emit` keep each event's arguments typed. */
type Listener = (...args: any[]) => void;

export class TutorChannelClient {
  private readonly options: TutorChannelClientOptions;
  private readonly listeners = new Map<keyof TutorChannelClientEvents, Set<Listener>>();
  private readonly url: URL;
  private socket: WebSocketLike | undefined;
  /** Messages sent while not open, serialized when sent, oldest first (at most maxQueuedMessages). */
  private readonly queue: string[] = [];
  private stateValue: ClientState = 'connecting';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
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
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const stored = listener as Listener;
    set.add(stored);
    const listeners = set;
    return () => listeners.delete(stored);
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

  /** Stops for good: closes the socket (1000) and cancels any reconnect. Idempotent. */
  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.queue.length = 0;
    clearTimeout(this.retryTimer);
    const socket = this.detach();
    socket?.close(1000, 'client closed');
    this.emit('close', { code: 1000, reason: 'client closed', reconnecting: false });
  }

  private async connect(): Promise<void> {
    this.stateValue = 'connecting';
    let token: string;
    try {
      token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    } catch (error) {
      this.dropped(connectionFailedCode, `token provider failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.stateValue !== 'connecting') return;
    const url = new URL(this.url);
    url.searchParams.set('token', token);
    if (this.seq !== undefined) url.searchParams.set('since', String(this.seq));
    if (this.epoch !== undefined) url.searchParams.set('epoch', this.epoch);
    const Socket: WebSocketConstructor = this.options.WebSocket ?? globalThis.WebSocket;
    let socket: WebSocketLike;
    try {
      socket = new Socket(url.toString());
    } catch (error) {
      this.dropped(connectionFailedCode, `cannot open a WebSocket: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.lastHeardAt = Date.now();
      this.stateValue = 'open';
      this.flushQueue();
      this.emit('open');
    };
    socket.onmessage = (event: { data: unknown }) => {
      this.lastHeardAt = Date.now();
      if (typeof event.data !== 'string') return;
      let message: IncomingMessage;
      try {
        message = JSON.parse(event.data) as IncomingMessage;
      } catch {
        return; // not from a tutorboard server; nothing sensible to do with it
      }
      this.receive(message);
    };
    socket.onclose = (event: { code: number; reason: string }) => {
      if (this.socket === socket) this.dropped(event.code, event.reason);
    };
    // Browsers follow an error with close; undici does not when a connect fails. Whichever
    // comes first ends this socket; the other then finds it detached.
    socket.onerror = () => {
      if (this.socket !== socket) return;
      this.detach();
      try {
        socket.close();
      } catch {
        // already closing, or never opened
      }
      this.dropped(connectionFailedCode, 'connection failed');
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
        this.welcomeValue = message;
        // Replayed messages (if any) follow at once and are all <= this seq.
        this.seq = message.seq;
        this.epoch = message.epoch;
        this.attempt = 0;
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
      default: {
        const unreachable: never = message;
        throw new Error(`unhandled control message ${JSON.stringify(unreachable)}`);
      }
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
        this.detach()?.close(closeTimeoutCode, 'no sign of life');
        this.dropped(closeTimeoutCode, 'no sign of life from the server');
      } else if (now - this.lastHeardAt >= pingAfter && now - this.lastPingAt >= pingAfter) {
        this.lastPingAt = now;
        this.sendText('{"type":"ping"}');
      }
    }, Math.max(10, Math.min(pingAfter, staleAfter) / 2));
  }

  private dropped(code: number, reason: string): void {
    this.detach();
    if (this.stateValue === 'closed') return;
    const reconnect = this.options.reconnect;
    if (reconnect === false || finalCloseCodes.includes(code)) {
      this.stateValue = 'closed';
      this.queue.length = 0;
      this.emit('close', { code, reason, reconnecting: false });
      return;
    }
    const base = Math.min(reconnect?.maxDelayMs ?? 30_000, (reconnect?.initialDelayMs ?? 500) * 2 ** this.attempt);
    // Half fixed, half random: spread out the herd after a restart, never retry in a tight loop.
    const delayMs = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt += 1;
    this.stateValue = 'waiting';
    this.retryTimer = setTimeout(() => void this.connect(), delayMs);
    this.emit('close', { code, reason, reconnecting: true, delayMs });
  }

  /** Forgets the current socket (its late events are ignored) and returns it. */
  private detach(): WebSocketLike | undefined {
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
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // A listener's bug must not break the connection loop; surface it asynchronously.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
