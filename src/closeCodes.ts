/**
 * Every WebSocket close code the server sends, in one place.
 * 1xxx are RFC 6455 codes; 4xxx are ours (4000–4999 is the private-use range).
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  /** A whiteboard frame whose Yjs update cannot be decoded; nothing of it was stored or applied. */
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  /** The token was missing, invalid or expired. */
  Unauthorized: 4401,
  /** The token is valid but does not grant this session or action; also used for kicks. */
  Forbidden: 4403,
  /** The document could not be loaded from storage; the stored data is untouched. */
  DocumentLoadFailed: 4500,
  /** The connection stopped answering heartbeats. */
  Stale: 4408,
  /**
   * Storage refused the write of this connection's update: it was neither applied nor
   * acknowledged; the provider reconnects and sends it again.
   */
  StorageUnavailable: 4503,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];
