/**
 * The bus of one machine: no Redis, nothing leaves the process. Rooms are `LocalRooms` and a
 * question is answered by this instance alone.
 */
import type { Logger } from '../logger.ts';
import { LocalRooms } from '../tutor/LocalRooms.ts';
import type { TutorRooms, TutorRoomsOptions } from '../tutor/TutorRooms.ts';
import type { ClusterAnswers, ClusterBus, QuestionHandler } from './ClusterBus.ts';
import { QuestionHandlers } from './QuestionHandlers.ts';

export class LocalBus implements ClusterBus {
  readonly instanceId: string;
  readonly shared = false;
  private readonly handlers: QuestionHandlers;

  constructor(options: { instanceId: string; logger: Logger }) {
    this.instanceId = options.instanceId;
    this.handlers = new QuestionHandlers(options.logger);
  }

  tutorRooms(options: TutorRoomsOptions): TutorRooms {
    return new LocalRooms(options);
  }

  answer(kind: string, handler: QuestionHandler): () => void {
    return this.handlers.add(kind, handler);
  }

  async ask<T>(kind: string, body: unknown): Promise<ClusterAnswers<T>> {
    const result = await this.handlers.run(kind, body);
    if ('failed' in result) return { answers: [], missing: [this.instanceId] };
    return { answers: [{ instanceId: this.instanceId, body: result.body as T }], missing: [] };
  }

  instances(): string[] {
    return [this.instanceId];
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
