/**
 * Wraps a `ws` socket in the minimal socket Hocuspocus needs, reporting every close code the
 * server sends through it (Hocuspocus's own closes included) before the frame goes out.
 *
 * While the client's close frame has arrived (`ws` is CLOSING) but frames received before it
 * still wait in the inbound queue, the socket reports itself OPEN: Hocuspocus ends a document
 * connection at its first send on a closing socket and would then drop those frames. Sends in
 * that window go nowhere (`ws` discards them); the frames are applied and logged.
 * `beforeSend` runs before each frame goes out (the send coalescer holds the TCP socket there).
 */
import type { WebSocketLike } from '@hocuspocus/server';
import type { WebSocket } from 'ws';

export function observeCloses(
  ws: WebSocket,
  onClose: (code: number) => void,
  framesWaiting: () => boolean = () => false,
  beforeSend: () => void = () => {},
): WebSocketLike {
  return {
    get readyState() {
      return ws.readyState === ws.CLOSING && framesWaiting() ? ws.OPEN : ws.readyState;
    },
    send: (data) => {
      if (ws.readyState !== ws.OPEN) return;
      beforeSend();
      ws.send(data as Uint8Array);
    },
    close: (code, reason) => {
      // A second close (shutdown after a kick, say) sends no frame: nothing to count.
      if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
      if (code !== undefined) onClose(code);
      ws.close(code, reason);
    },
  };
}
