/**
 * Counters the tutor channel keeps for the metrics endpoint (which reads, never writes them).
 * Plain numbers rather than an emitter: the hot path pays one increment, nothing more.
 */
export interface TutorStats {
  /** Frames received from clients, valid or not. */
  messagesReceived: number;
  /** Room messages written to sockets (one message to five peers counts five). */
  messagesDelivered: number;
  /** Frames answered with `invalid_message` or `unsupported_data`. */
  invalidMessages: number;
  /** Frames dropped by the rate limit. */
  rateLimited: number;
  /** Connections terminated by the heartbeat sweep for silence. */
  staleTerminations: number;
  /** Close codes the server sent, by code. Terminations without a close frame are not here. */
  closeCodes: Record<number, number>;
}

export function createTutorStats(): TutorStats {
  return {
    messagesReceived: 0,
    messagesDelivered: 0,
    invalidMessages: 0,
    rateLimited: 0,
    staleTerminations: 0,
    closeCodes: {},
  };
}
