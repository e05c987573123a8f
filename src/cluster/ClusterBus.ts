/**
 * What crosses instances and is not a Yjs document: tutor rooms (messages, presence, replay,
 * kicks of tutor sockets) and questions to every instance (the admin API). `LocalBus` is one
 * machine (everything in this process, today's behaviour); `RedisBus` joins instances through
 * Redis (REDIS_URL). The tutor channel and the admin API talk only to this interface.
 */
import type { TutorRooms, TutorRoomsOptions } from '../tutor/TutorRooms.ts';

/** Answers one instance gave. */
export interface ClusterAnswer<T> {
  instanceId: string;
  body: T;
}

/** What came back from asking every instance: the answers, and the live instances that gave none in time. */
export interface ClusterAnswers<T> {
  answers: ClusterAnswer<T>[];
  /** Instances known to be alive that did not answer within the bound (or failed to). */
  missing: string[];
}

/** Answers one kind of question on this instance; may be async. */
export type QuestionHandler = (body: unknown) => unknown;

export interface ClusterBus {
  readonly instanceId: string;
  /** False for one machine: nothing crosses processes. */
  readonly shared: boolean;
  /** The tutor rooms, shared by every instance on this bus. Call once. */
  tutorRooms(options: TutorRoomsOptions): TutorRooms;
  /** Answers `kind` on this instance; returns the disposer. One handler per kind. */
  answer(kind: string, handler: QuestionHandler): () => void;
  /**
   * Asks every instance, this one included. Resolves within a bounded time with the answers that
   * arrived and the live instances that are missing; never rejects, never hangs.
   */
  ask<T>(kind: string, body: unknown): Promise<ClusterAnswers<T>>;
  /** Instances believed alive, this one included (the last heartbeat's view). */
  instances(): string[];
  start(): Promise<void>;
  /** Stops heartbeats and lets go of Redis; idempotent. Tutor sockets should be closed first. */
  close(): Promise<void>;
}
