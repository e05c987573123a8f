/**
 * The handlers of one instance's bus, by question kind; shared by both buses. A handler that
 * throws gives no answer (the asker lists the instance as missing); the error is logged here.
 */
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { QuestionHandler } from './ClusterBus.ts';

export class QuestionHandlers {
  private readonly handlers = new Map<string, QuestionHandler>();
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  add(kind: string, handler: QuestionHandler): () => void {
    if (this.handlers.has(kind)) throw new Error(`a handler for "${kind}" is registered already`);
    this.handlers.set(kind, handler);
    return () => {
      if (this.handlers.get(kind) === handler) this.handlers.delete(kind);
    };
  }

  /** The answer, or `{ failed }` when there is no handler or it threw. */
  async run(kind: string, body: unknown): Promise<{ body: unknown } | { failed: string }> {
    const handler = this.handlers.get(kind);
    if (!handler) return { failed: `no handler for "${kind}"` };
    try {
      return { body: await handler(body) };
    } catch (error) {
      this.logger.error({ event: 'cluster_question_failed', kind, err: describe(error) }, 'answering a question from the cluster failed');
      return { failed: describe(error) };
    }
  }
}
