/**
 * The close codes `TutorChannelClient` acts on or reports. The server's own codes are in
 * src/closeCodes.ts (the client does not import server code); the ones here it makes up itself.
 */

/** Close codes after which trying again cannot help: policy, bad data, auth, kicks. */
export const finalCloseCodes: readonly number[] = [1003, 1008, 4401, 4403];

/**
 * Codes of the `close` events the client makes up itself (never sent by the server). A final
 * refusal closes with 4000 + the HTTP status (4400, 4401, 4403).
 */
export const clientCloseCodes = {
  /** A failed connect, or a socket that broke without a close frame (the WebSocket "abnormal closure"). */
  connectionFailed: 1006,
  /** No `welcome` within `welcomeTimeoutMs` of opening, or silence past the stale timeout. */
  silent: 4000,
  /** The device went offline (`offline` event). */
  offline: 4001,
  /** `reconnect()` dropped the connection. */
  reconnect: 4002,
} as const;
