/**
 * Where a running server's log lines go: stdout, written so that nothing that happens to stdout
 * can stop the server. `tutorboard serve | head`, `| true` or a log shipper that dies or stops
 * reading must leave it serving and answering signals; pino's own destinations either block the
 * main thread (`Atomics.wait` in a synchronous flush, also on exit) or crash on an unexpected
 * write error. Here:
 * - the lines of one loop turn go out in one `writeSync` on stdout at its end (or as soon as
 *   they make `batchBytes`): a reconnect storm logs thousands of lines, and a system call each
 *   cost more than the connections themselves. Node has put stdout in non-blocking mode for
 *   pipes and sockets, so a reader that does not keep up makes the write fail with EAGAIN
 *   instead of waiting;
 * - lines that could not be written wait in memory, in order, up to `maxBufferBytes`; later
 *   lines are dropped and counted, and a `log_lines_dropped` line says how many once stdout
 *   takes writes again; an unreferenced timer retries meanwhile;
 * - any other write error (EPIPE: the reader is gone; EBADF…) ends logging for good, silently;
 * - on exit, what is still queued gets `exitFlushMs` to go out, then is abandoned.
 * `process.stdout` and `process.stderr` get an error listener too, so that a `console.*` or the
 * development banner writing into a closed pipe cannot throw an uncaught EPIPE.
 */
import { writeSync } from 'node:fs';

export interface StdoutSinkOptions {
  /** Turns a JSON line into what is written (pretty printing); default: the line as it is. */
  format?: (line: string) => string;
  /** Bytes of log lines held while stdout does not take them; more are dropped. */
  maxBufferBytes: number;
  /** How long the exit handler tries to write what is still queued, in ms. @default 500 */
  exitFlushMs?: number;
  /** @default 1 */
  fd?: number;
}

const retryMs = 50;
/** A turn's lines are written as soon as they make this many bytes. */
const batchBytes = 64 * 1024;

export class StdoutSink {
  private readonly fd: number;
  private readonly format: ((line: string) => string) | undefined;
  private readonly maxBufferBytes: number;
  private readonly exitFlushMs: number;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private droppedLines = 0;
  /** Dropped since the last `log_lines_dropped` note. */
  private unreported = 0;
  private broken = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Lines of this turn not written yet (only while nothing is queued). */
  private batch: string[] = [];
  private batchLength = 0;
  private batchTimer: NodeJS.Immediate | undefined;

  constructor(options: StdoutSinkOptions) {
    this.fd = options.fd ?? 1;
    this.format = options.format;
    this.maxBufferBytes = options.maxBufferBytes;
    this.exitFlushMs = options.exitFlushMs ?? 500;
    guardStdio();
    sinks.add(this);
  }

  /** Lines dropped so far (in all) because stdout did not take them fast enough. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Bytes written by the server but not yet taken by stdout (at most about `maxBufferBytes`). */
  get pendingBytes(): number {
    return this.queuedBytes + this.batchLength;
  }

  /** True once stdout failed for good (its reader is gone); nothing is written after that. */
  get closed(): boolean {
    return this.broken;
  }

  write(line: string): boolean {
    if (this.broken) return true;
    const text = this.formatted(line);
    // Stdout is behind already: the line waits in the bounded queue, in order.
    if (this.queue.length > 0) {
      this.enqueue(Buffer.from(text));
      return true;
    }
    this.batch.push(text);
    this.batchLength += text.length;
    if (this.batchLength >= batchBytes) this.writeBatch();
    else if (this.batchTimer === undefined) {
      this.batchTimer = setImmediate(this.writeBatch);
      // Logging never keeps a process alive; the exit handler writes what is left.
      this.batchTimer.unref();
    }
    return true;
  }

  /** For pino's `logger.flush()`: one attempt to write what is batched and queued. */
  flush(callback?: (error?: Error) => void): void {
    this.writeBatch();
    this.drain();
    callback?.();
  }

  private readonly writeBatch = (): void => {
    if (this.batchTimer !== undefined) clearImmediate(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const lines = this.batch;
    this.batch = [];
    this.batchLength = 0;
    if (this.broken) return;
    if (this.queue.length === 0) this.writeOrQueue(Buffer.from(lines.join('')));
    else for (const line of lines) this.enqueue(Buffer.from(line));
  };

  private writeOrQueue(data: Buffer): void {
    const written = this.tryWrite(data);
    if (written < data.length && !this.broken) {
      this.queue.push(written === 0 ? data : data.subarray(written));
      this.queuedBytes += data.length - written;
      this.scheduleRetry();
    }
  }

  private enqueue(data: Buffer): void {
    if (this.queuedBytes + data.length > this.maxBufferBytes) {
      this.droppedLines += 1;
      this.unreported += 1;
      return;
    }
    this.queue.push(data);
    this.queuedBytes += data.length;
  }

  /** Writes queued data in order until stdout pushes back; true when the queue is empty. */
  private drain(): boolean {
    while (this.queue.length > 0 && !this.broken) {
      const head = this.queue[0];
      const written = this.tryWrite(head);
      if (this.broken) break;
      this.queuedBytes -= written;
      if (written < head.length) {
        this.queue[0] = head.subarray(written);
        return false;
      }
      this.queue.shift();
    }
    if (this.broken) return true;
    if (this.unreported > 0) {
      const count = this.unreported;
      this.unreported = 0;
      const note = JSON.stringify({
        level: 'warn',
        time: Date.now(),
        service: 'tutorboard',
        event: 'log_lines_dropped',
        count,
        msg: `${count} log lines were dropped: stdout did not take them (LOG_BUFFER_BYTES)`,
      });
      this.writeOrQueue(Buffer.from(this.formatted(`${note}\n`)));
    }
    return this.queue.length === 0;
  }

  /** The line as it is written; a line the formatter cannot handle goes out as it came. */
  private formatted(line: string): string {
    if (!this.format) return line;
    try {
      return this.format(line);
    } catch {
      return line;
    }
  }

  /** Bytes written (0 when stdout is full for now); marks the sink broken on any other error. */
  private tryWrite(data: Buffer): number {
    try {
      return writeSync(this.fd, data);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return 0;
      this.broken = true;
      this.queue.length = 0;
      this.queuedBytes = 0;
      clearTimeout(this.retryTimer);
      return 0;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.broken) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.drain()) this.scheduleRetry();
    }, retryMs);
    // Logging never keeps a process alive that has nothing else to do.
    this.retryTimer.unref();
  }

  /** Called once by the process's exit handler. */
  flushOnExit(): void {
    clearTimeout(this.retryTimer);
    this.writeBatch();
    const deadline = Date.now() + this.exitFlushMs;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!this.drain() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
  }
}

const sinks = new Set<StdoutSink>();
let guarded = false;

/**
 * Once per process: write errors on process.stdout/stderr (EPIPE after the reader left) are
 * nobody's to handle, and every sink gets its bounded last flush on exit.
 */
function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  // Touching process.stdout also makes Node put a pipe or socket on fd 1 in non-blocking mode.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignore);
  process.once('exit', () => {
    for (const sink of sinks) sink.flushOnExit();
  });
}

function ignore(): void {}
