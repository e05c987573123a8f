/**
 * Hands one socket's frames to Hocuspocus a small batch per macrotask, and pauses reading from
 * the socket while too many wait.
 *
 * Hocuspocus processes a connection's messages in a promise chain. Handed a large backlog at
 * once (a client that writes as fast as it can), that chain runs as one long run of microtasks:
 * timers, signals and every other socket starve until it ends, so one client could stall the
 * whole server, including its shutdown. Batching per macrotask keeps the event loop turning;
 * pausing the socket pushes the backlog back into TCP, to the client that caused it.
 */
export interface PausableSocket {
  pause(): void;
  resume(): void;
}

export interface InboundQueueOptions {
  /** Frames handed over per macrotask. @default 32 */
  batch?: number;
  /** Waiting frames at which the socket is paused. @default 256 */
  highWater?: number;
  /** Waiting frames at which a paused socket is resumed. @default 64 */
  lowWater?: number;
}

export class InboundQueue {
  private readonly waiting: Uint8Array[] = [];
  private readonly deliver: (frame: Uint8Array) => void;
  private readonly socket: PausableSocket;
  private readonly batch: number;
  private readonly highWater: number;
  private readonly lowWater: number;
  private scheduled: NodeJS.Immediate | undefined;
  private paused = false;
  private head = 0;

  constructor(deliver: (frame: Uint8Array) => void, socket: PausableSocket, options: InboundQueueOptions = {}) {
    this.deliver = deliver;
    this.socket = socket;
    this.batch = options.batch ?? 32;
    this.highWater = options.highWater ?? 256;
    this.lowWater = options.lowWater ?? 64;
  }

  get size(): number {
    return this.waiting.length - this.head;
  }

  push(frame: Uint8Array): void {
    // The common case (nothing waiting, nothing scheduled) costs no extra turn of the loop.
    if (this.size === 0 && this.scheduled === undefined) {
      this.deliver(frame);
      this.scheduled = setImmediate(drain, this);
      return;
    }
    this.waiting.push(frame);
    if (!this.paused && this.size >= this.highWater) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /**
   * Hands over everything that waits, now. Called when the socket closes: every frame received
   * before a close is applied (a student draws and closes the tab), as stock Hocuspocus does.
   * The backlog is bounded by `highWater` plus what TCP had buffered, since reading pauses there.
   */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (this.head < this.waiting.length) this.deliver(this.waiting[this.head++]);
    this.waiting.length = 0;
    this.head = 0;
  }

  /** One batch, then the next turn if more wait (called by the module's `drain`). */
  drainBatch(): void {
    this.scheduled = undefined;
    const end = Math.min(this.waiting.length, this.head + this.batch);
    while (this.head < end) this.deliver(this.waiting[this.head++]);
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else {
      this.scheduled = setImmediate(drain, this);
    }
    if (this.paused && this.size <= this.lowWater) {
      this.paused = false;
      this.socket.resume();
    }
  }
}

/** Shared by every queue (setImmediate passes the queue), so a socket's queue holds no closure. */
function drain(queue: InboundQueue): void {
  queue.drainBatch();
}
