/**
 * Questions to every instance over Redis pub/sub (the admin API across instances). The asker
 * publishes `{id, kind, from, body}` on the ask channel; every other instance runs its handler
 * and publishes `{id, instanceId, body}` on the asker's reply channel. PUBLISH says how many
 * instances received the question, so the asker returns as soon as they all answered, or after
 * `timeoutMs` with what arrived; live instances (by heartbeat) that did not answer are named.
 */
import { randomUUID } from 'node:crypto';
import { describe } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ClusterAnswer, ClusterAnswers } from './ClusterBus.ts';
import type { QuestionHandlers } from './QuestionHandlers.ts';
import { askChannel, replyChannel } from './redisKeys.ts';
import type { RedisLink } from './RedisLink.ts';

interface Waiting {
  answers: ClusterAnswer<unknown>[];
  expected: number | undefined;
  done: () => void;
}

export interface ClusterQuestionsOptions {
  link: RedisLink;
  handlers: QuestionHandlers;
  instanceId: string;
  prefix: string;
  /** The longest an ask waits for answers. */
  timeoutMs: number;
  /** Instances believed alive (for naming the missing ones). */
  instances: () => string[];
  logger: Logger;
}

export class ClusterQuestions {
  private readonly options: ClusterQuestionsOptions;
  private readonly waiting = new Map<string, Waiting>();

  constructor(options: ClusterQuestionsOptions) {
    this.options = options;
  }

  /** Subscribes to the ask channel and this instance's reply channel. */
  async start(): Promise<void> {
    const { link, prefix, instanceId } = this.options;
    await Promise.all([
      link.subscribe(askChannel(prefix), (payload) => this.onQuestion(payload)),
      link.subscribe(replyChannel(prefix, instanceId), (payload) => this.onAnswer(payload)),
    ]);
  }

  async ask<T>(kind: string, body: unknown): Promise<ClusterAnswers<T>> {
    const { link, handlers, instanceId, prefix, timeoutMs } = this.options;
    const id = randomUUID();
    let done = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const entry: Waiting = { answers: [], expected: undefined, done };
    this.waiting.set(id, entry);
    let timer: NodeJS.Timeout | undefined;
    try {
      const own = handlers.run(kind, body);
      if (link.up) {
        const receivers = await link.commands.publish(askChannel(prefix), JSON.stringify({ id, kind, from: instanceId, body })).catch((error: unknown) => {
          link.commandFailed(error);
          return 0;
        });
        // Our own subscriber is one of the receivers.
        entry.expected = Math.max(0, receivers - 1);
        if (entry.answers.length < entry.expected) {
          await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        }
      }
      const mine = await own;
      const answers = 'body' in mine ? [{ instanceId, body: mine.body }, ...entry.answers] : [...entry.answers];
      const answered = new Set(answers.map((a) => a.instanceId));
      const missing = this.options.instances().filter((other) => !answered.has(other));
      return { answers: answers as ClusterAnswer<T>[], missing };
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  private onQuestion(payload: Buffer): void {
    const { link, handlers, instanceId, prefix, logger } = this.options;
    const question = parse(payload) as { id?: unknown; kind?: unknown; from?: unknown; body?: unknown } | undefined;
    if (!question || typeof question.id !== 'string' || typeof question.kind !== 'string' || typeof question.from !== 'string') return;
    if (question.from === instanceId) return;
    const { id, kind, from } = question;
    void handlers.run(kind, question.body).then((result) => {
      if (!('body' in result) || !link.up) return;
      link.commands.publish(replyChannel(prefix, from), JSON.stringify({ id, instanceId, body: result.body })).catch((error: unknown) => {
        logger.debug({ event: 'cluster_answer_failed', kind, err: describe(error) }, 'could not send an answer');
      });
    });
  }

  private onAnswer(payload: Buffer): void {
    const answer = parse(payload) as { id?: unknown; instanceId?: unknown; body?: unknown } | undefined;
    if (!answer || typeof answer.id !== 'string' || typeof answer.instanceId !== 'string') return;
    const entry = this.waiting.get(answer.id);
    if (!entry) return;
    entry.answers.push({ instanceId: answer.instanceId, body: answer.body });
    if (entry.expected !== undefined && entry.answers.length >= entry.expected) entry.done();
  }
}

function parse(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
