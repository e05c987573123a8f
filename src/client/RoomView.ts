/**
 * What the client knows of its room across connections: the latest welcome, the peers now, the
 * highest seq seen (where the next connection resumes) and its own earlier connection ids, so
 * a replay does not hand it back its own messages.
 */
import type { Peer, PresenceMessage, RoomMessage, WelcomeMessage } from '../tutor/protocol.ts';

/** Own connection ids remembered: enough for every connection a replay can reach back to. */
const ownConnectionsKept = 16;

export class RoomView {
  welcome: WelcomeMessage | undefined;
  seq: number | undefined;
  private epoch: string | undefined;
  private readonly ownConnectionIds: string[] = [];
  readonly peers = new Map<string, Peer>();

  /** Asks the next connection to resume after the last seq seen, in the epoch it belongs to. */
  resumeOn(url: URL): void {
    if (this.seq !== undefined) url.searchParams.set('since', String(this.seq));
    if (this.epoch !== undefined) url.searchParams.set('epoch', this.epoch);
  }

  welcomed(message: WelcomeMessage): void {
    this.welcome = message;
    // Replayed messages (if any) follow at once and are all <= this seq.
    this.seq = message.seq;
    this.epoch = message.epoch;
    this.ownConnectionIds.push(message.connectionId);
    if (this.ownConnectionIds.length > ownConnectionsKept) this.ownConnectionIds.shift();
    this.peers.clear();
    for (const peer of message.peers) this.peers.set(peer.connectionId, peer);
  }

  presence(message: PresenceMessage): void {
    if (message.event === 'join') {
      this.peers.set(message.connectionId, { connectionId: message.connectionId, userId: message.userId, role: message.role });
    } else {
      this.peers.delete(message.connectionId);
    }
  }

  /** Notes a room message's seq; false for one of this client's own (replayed) messages. */
  accept(message: RoomMessage): boolean {
    if (message.from.connectionId !== undefined && this.ownConnectionIds.includes(message.from.connectionId)) return false;
    if (this.seq === undefined || message.seq > this.seq) this.seq = message.seq;
    return true;
  }
}
