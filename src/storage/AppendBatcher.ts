/**
 * Groups appends into round trips. On a networked database one commit costs a round trip and a
 * WAL flush whatever its size, so committing each update alone caps a server at a few thousand
 * acknowledged updates per second; grouping what arrives together keeps that cost per batch.
 *
 * Every append requested in one event-loop turn (the I/O callbacks of one poll phase: many
 * sockets' frames) waits for `setImmediate` and goes out as one batch. Up to `maxInFlight`
 * batches are written at once; while all of them are out, new appends accumulate and leave
 * together as soon as one returns, so batches grow with the load instead of queueing up.
 * Each caller's promise resolves with its own id once its batch has committed, or every caller
 * of the batch is rejected with the batch's error (nothing of it committed: one statement).
 */

export interface BatchRow {
  name: string;
  update: Uint8Array;
}

export interface AppendBatcherOptions {
  /** Commits the rows in one statement; resolves with their ids, in the order of `rows`. */
  write: (rows: BatchRow[]) => Promise<number[]>;
  /** Batches written at once. */
  maxInFlight: number;
  /** Rows in one batch at most (a statement has at most 65535 parameters). */
  maxRows: number;
  /** Bytes of updates in one batch at most; a larger update goes alone. */
  maxBytes: number;
}

interface Waiting extends BatchRow {
  resolve: (id: number) => void;
  reject: (error: unknown) => void;
}

export class AppendBatcher {
  private readonly options: AppendBatcherOptions;
  private queue: Waiting[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(options: AppendBatcherOptions) {
    this.options = options;
  }

  /** Appends waiting or being written now. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  append(name: string, update: Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ name, update, resolve, reject });
      // With every slot busy, the batch returning next dispatches this one.
      if (this.scheduled === undefined && this.inFlight < this.options.maxInFlight) {
        this.scheduled = setImmediate(() => {
          this.scheduled = undefined;
          this.dispatch();
        });
      }
    });
  }

  /** Sends everything waiting now (no more turn to wait for) and resolves once nothing is in flight. */
  async drain(): Promise<void> {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
      this.dispatch();
    }
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.take();
      this.inFlight += 1;
      void this.send(batch);
    }
  }

  private take(): Waiting[] {
    let bytes = 0;
    let count = 0;
    for (const waiting of this.queue) {
      if (count >= this.options.maxRows || (count > 0 && bytes + waiting.update.byteLength > this.options.maxBytes)) break;
      bytes += waiting.update.byteLength;
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  private async send(batch: Waiting[]): Promise<void> {
    try {
      const ids = await this.options.write(batch.map(({ name, update }) => ({ name, update })));
      if (ids.length !== batch.length) throw new Error(`a batch of ${batch.length} appends returned ${ids.length} ids`);
      batch.forEach((waiting, i) => waiting.resolve(ids[i]));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.inFlight -= 1;
      this.dispatch();
      if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
