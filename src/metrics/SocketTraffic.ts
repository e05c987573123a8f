/**
 * WebSocket bytes per transport, read from the TCP sockets themselves (frames and the upgrade
 * handshake included). Nothing runs per message, and both paths are measured the same way
 * although they share no send code. Live sockets are summed when metrics are scraped; a closed
 * socket's final counts move into the totals, so every sum only grows.
 */
import type { Duplex } from 'node:stream';
import type { ConnectionType } from '../registry.ts';

export interface Traffic {
  /** Bytes read from clients. */
  received: number;
  /** Bytes written to clients. */
  sent: number;
}

interface CountedSocket extends Duplex {
  bytesRead: number;
  bytesWritten: number;
}

export class SocketTraffic {
  private readonly live = new Map<CountedSocket, ConnectionType>();
  private readonly closed: Record<ConnectionType, Traffic> = { tutor: { received: 0, sent: 0 }, whiteboard: { received: 0, sent: 0 } };

  /** Counts this socket's bytes under `type` from now until it closes (upgrade sockets are net.Sockets). */
  track(socket: Duplex, type: ConnectionType): void {
    const counted = socket as CountedSocket;
    if (typeof counted.bytesRead !== 'number' || this.live.has(counted)) return;
    this.live.set(counted, type);
    // `on`, not `once` (a socket closes once): no wrapper per socket, one listener for all.
    counted.on('close', this.onClose);
  }

  private readonly onClose = ((traffic: SocketTraffic) =>
    function onClose(this: CountedSocket): void {
      const type = traffic.live.get(this);
      if (type === undefined) return;
      traffic.live.delete(this);
      traffic.closed[type].received += this.bytesRead;
      traffic.closed[type].sent += this.bytesWritten;
    })(this);

  totals(): Record<ConnectionType, Traffic> {
    const sums: Record<ConnectionType, Traffic> = {
      tutor: { ...this.closed.tutor },
      whiteboard: { ...this.closed.whiteboard },
    };
    for (const [socket, type] of this.live) {
      sums[type].received += socket.bytesRead;
      sums[type].sent += socket.bytesWritten;
    }
    return sums;
  }

  /** Stops following live sockets (their bytes are no longer reported). */
  clear(): void {
    this.live.clear();
  }
}
