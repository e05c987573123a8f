/**
 * Whether the store takes writes, as the last write or probe found it.
 *
 * Every failed write counts (`errors`), but only a change of state is logged: a store that
 * fails for an hour logs two lines, not one per retrying client. While failing, a probe runs
 * on a timer so that saving is reported healthy again as soon as the cause clears (a lock
 * released, space freed, permissions fixed), whether or not a client is writing.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.ts';

export interface StorageFailure {
  /** What failed first: `append`, `compact`, `snapshot`, `probe`… */
  operation: string;
  /** The SQLite or system error code (`SQLITE_BUSY`, `SQLITE_FULL`, `disk_full`…), or `unknown`. */
  code: string;
  message: string;
  /** Epoch milliseconds of the first failure. */
  since: number;
}

export interface StorageHealthOptions {
  logger?: Logger;
  /** Rejects when the store does not take writes (`Store.probe`). */
  probe: () => Promise<void>;
  /**
   * How often the probe runs while storage is failing, in milliseconds.
   * @default 1000
   */
  recheckIntervalMs?: number;
}

interface StorageHealthEvents {
  /** The failure, or undefined when storage works again. */
  change: [StorageFailure | undefined];
}

export class StorageHealth extends EventEmitter<StorageHealthEvents> {
  /** Failed writes by operation, since the server started. */
  readonly errors = new Map<string, number>();
  private current: StorageFailure | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: StorageHealthOptions;
  private disposed = false;
  private probing: Promise<boolean> | undefined;

  constructor(options: StorageHealthOptions) {
    super();
    this.options = options;
  }

  get ok(): boolean {
    return this.current === undefined;
  }

  get failure(): Readonly<StorageFailure> | undefined {
    return this.current;
  }

  /** Records a failed write; the first one after a healthy period is logged and starts the probe timer. */
  failed(operation: string, error: unknown): void {
    this.errors.set(operation, (this.errors.get(operation) ?? 0) + 1);
    if (this.current) return;
    this.current = {
      operation,
      code: (error as { code?: unknown })?.code?.toString() ?? 'unknown',
      message: error instanceof Error ? error.message : String(error),
      since: Date.now(),
    };
    this.options.logger?.error({ event: 'storage_failing', ...this.current }, 'storage is failing: updates are refused until it recovers');
    this.emit('change', this.current);
    if (!this.disposed) {
      this.timer = setInterval(() => this.recheck(), this.options.recheckIntervalMs ?? 1000);
      this.timer.unref();
    }
  }

  /** Records a successful write; ends a failing period. */
  succeeded(): void {
    if (!this.current) return;
    const { operation, code, since } = this.current;
    this.current = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    this.options.logger?.info(
      { event: 'storage_recovered', failedOperation: operation, code, failingForMs: Date.now() - since },
      'storage takes writes again',
    );
    this.emit('change', undefined);
  }

  /**
   * Runs the probe now: the readiness check and the recheck timer both use it. Concurrent
   * callers share one probe, so a flood of readiness checks costs one write.
   */
  check(): Promise<boolean> {
    this.probing ??= this.runProbe().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async runProbe(): Promise<boolean> {
    try {
      await this.options.probe();
    } catch (error) {
      this.failed('probe', error);
      return false;
    }
    this.succeeded();
    return true;
  }

  /** Stops the timer; idempotent. */
  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private recheck(): void {
    void this.check();
  }
}
