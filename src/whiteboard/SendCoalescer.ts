/**
 * Holds each socket's outgoing frames until the end of the loop turn and then writes them in
 * one go: one `writev` per socket per turn instead of one per frame.
 *
 * `ws` writes every frame as its own corked pair (header, payload), so each frame costs a
 * system call; a socket that gets a document update, an acknowledgement and a batch of cursors
 * in one turn paid three. Corking the TCP socket at its first frame of a turn and uncorking
 * every held socket in one `setImmediate` turns those into one. Frames are never reordered
 * and never held past the turn; closing and terminating behave as before (a terminated socket
 * drops what it held, as it drops its unsent buffer).
 */
import type { Socket } from 'node:net';

export class SendCoalescer {
  private held: Socket[] = [];
  private readonly holding = new WeakSet<Socket>();
  private scheduled: NodeJS.Immediate | undefined;

  /** Call before writing a frame to `socket`: its writes wait for the end of this turn. */
  hold(socket: Socket): void {
    if (this.holding.has(socket)) return;
    socket.cork();
    this.holding.add(socket);
    this.held.push(socket);
    this.scheduled ??= setImmediate(this.release);
  }

  /** Writes everything held now and stops the pending turn; idempotent. */
  dispose(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.release();
  }

  private readonly release = (): void => {
    this.scheduled = undefined;
    const sockets = this.held;
    this.held = [];
    for (const socket of sockets) {
      this.holding.delete(socket);
      socket.uncork();
    }
  };
}
