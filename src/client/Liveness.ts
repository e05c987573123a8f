/**
 * Whether the server on one socket is still there. Browsers never expose WebSocket pings to
 * scripts, so the client watches what it hears: the `welcome` must come within a bound of the
 * socket opening (the server sends it first thing), then a quiet spell gets a `{"type":"ping"}`
 * and silence past the stale timeout means the connection is dead.
 */
export interface LivenessOptions {
  /** Sends a JSON ping on the socket. */
  ping: () => void;
  /** The connection is dead: no welcome in time, or silent too long. Called once. */
  dead: (reason: string) => void;
  welcomeTimeoutMs: number;
  /** Overrides the welcome's heartbeatIntervalMs / staleTimeoutMs. */
  pingIntervalMs?: number;
  staleTimeoutMs?: number;
}

export class Liveness {
  private readonly options: LivenessOptions;
  private welcomeTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeardAt = 0;
  private lastPingAt = 0;

  constructor(options: LivenessOptions) {
    this.options = options;
  }

  /** The socket opened: the welcome must follow within `welcomeTimeoutMs`. */
  opened(): void {
    this.stop();
    this.heard();
    const { welcomeTimeoutMs } = this.options;
    this.welcomeTimer = setTimeout(() => this.die(`no welcome within ${welcomeTimeoutMs} ms`), welcomeTimeoutMs);
  }

  heard(): void {
    this.lastHeardAt = Date.now();
  }

  /** The welcome came: from now on, ping after quiet spells and give up after the stale timeout. */
  welcomed(settings: { heartbeatIntervalMs: number; staleTimeoutMs: number }): void {
    this.stop();
    const pingAfter = this.options.pingIntervalMs ?? settings.heartbeatIntervalMs;
    const staleAfter = this.options.staleTimeoutMs ?? settings.staleTimeoutMs;
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (now - this.lastHeardAt >= staleAfter) {
        this.die('no sign of life from the server');
      } else if (now - this.lastHeardAt >= pingAfter && now - this.lastPingAt >= pingAfter) {
        this.lastPingAt = now;
        this.options.ping();
      }
    }, Math.max(10, Math.min(pingAfter, staleAfter) / 2));
  }

  stop(): void {
    clearTimeout(this.welcomeTimer);
    clearInterval(this.heartbeatTimer);
    this.welcomeTimer = this.heartbeatTimer = undefined;
  }

  private die(reason: string): void {
    this.stop();
    this.options.dead(reason);
  }
}
