/**
 * Holds each socket's outgoing frames until the current task (the callback that produced
 * them, with its microtasks) ends, then writes them in one go: one `writev` per socket
 * instead of one per frame.
 *
 * `ws` writes every frame as its own corked pair (header, payload), so each frame costs a
 * system call; a board's flush that sends a document update and the cursors that ride along
 * with it paid two per socket. Corking the TCP socket at its first frame and uncorking every
 * held socket in one microtask turns those into one, without making any frame wait for
 * another phase of the event loop. Frames are never reordered; closing and terminating behave
 * as before (a terminated socket drops what it held, as it drops its unsent buffer).
 */
import type { Socket } from 'node:net';

export class SendCoalescer {
  private held: Socket[] = [];
  private readonly holding = new WeakSet<Socket>();

  /** Call before writing a frame to `socket`: its writes wait for the end of this task. */
  hold(socket: Socket): void {
    if (this.holding.has(socket)) return;
    socket.cork();
    this.holding.add(socket);
    this.held.push(socket);
    if (this.held.length === 1) queueMicrotask(this.release);
  }

  /** Writes everything held now; idempotent (the queued release then finds nothing). */
  dispose(): void {
    this.release();
  }

  private readonly release = (): void => {
    const sockets = this.held;
    this.held = [];
    for (const socket of sockets) {
      this.holding.delete(socket);
      socket.uncork();
    }
  };
}
