/**
 * Wraps a `ws` socket in the minimal socket Hocuspocus needs, reporting every close code the
 * server sends through it (Hocuspocus's own closes included) before the frame goes out.
 */
import type { WebSocketLike } from '@hocuspocus/server';
import type { WebSocket } from 'ws';

export function observeCloses(ws: WebSocket, onClose: (code: number) => void): WebSocketLike {
  return {
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data as Uint8Array),
    close: (code, reason) => {
      // A second close (shutdown after a kick, say) sends no frame: nothing to count.
      if (ws.readyState === ws.CLOSING || ws.readyState === ws.CLOSED) return;
      if (code !== undefined) onClose(code);
      ws.close(code, reason);
    },
  };
}
