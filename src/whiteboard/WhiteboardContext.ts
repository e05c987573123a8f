/**
 * The context the server hands Hocuspocus for every whiteboard socket. The path's session id
 * is fixed at upgrade time; a principal is present when the upgrade carried a valid header or
 * query token, otherwise the provider's own token is verified in onAuthenticate.
 */
import type { Principal } from '../auth.ts';

/** The socket a context belongs to (Hocuspocus copies contexts; the copies keep it). */
export const contextSocket = Symbol('contextSocket');

export interface WhiteboardContext {
  connectionId: string;
  sessionId: string;
  principal?: Principal;
  remoteAddress: string | undefined;
  connectedAt: number;
  /** Closes the WebSocket itself (a Hocuspocus connection close only ends one document). */
  closeSocket(code: number, reason: string): void;
  /** Lifts the socket's pre-authentication limits once a token has been verified. */
  authenticated(): void;
  /** False once the socket has closed (Hocuspocus hands hooks a copy of this object, so a flag would not be seen). */
  isOpen(): boolean;
  /** How the socket closed; set by the server before Hocuspocus runs onDisconnect. */
  closed?: { code: number; reason: string };
  [contextSocket]: { close(code: number, reason: string): void; readonly guard: { authenticated(): void }; readonly isOpen: boolean };
}
