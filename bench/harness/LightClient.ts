/**
 * A light whiteboard client for load: a raw `ws` socket speaking just enough of the Hocuspocus
 * protocol (auth, sync step 1, empty sync step 2 reply, updates, awareness) and reading only the
 * header of what it receives. A real provider applies every update to its own Y.Doc (100 ms for
 * 1 MB): with hundreds of them in one process the clients, not the server, would be measured.
 */
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import { Authenticator } from '../../src/auth.ts';
import { MessageType, SyncStep } from '../../src/whiteboard/frames.ts';
import { benchSecret, type ServerKind } from './ServerProcess.ts';

const signer = new Authenticator({ secret: benchSecret });

/** Where a board lives on a server of `kind`: the socket URL, the routing key and a token. */
export function boardAddress(kind: ServerKind, port: number, board: string, user: string): { url: string; key: string; token: string } {
  if (kind === 'tutorboard') {
    return { url: `ws://127.0.0.1:${port}/ws/v2/session/${board}/whiteboard`, key: board, token: signer.sign({ sub: user, sid: board }, 3600) };
  }
  return { url: `ws://127.0.0.1:${port}/`, key: board, token: 'bench' };
}

function frame(key: string, type: number, body: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, key);
  encoding.writeVarUint(encoder, type);
  body(encoder);
  return encoding.toUint8Array(encoder);
}

export const encodeFrame = {
  auth: (key: string, token: string) =>
    frame(key, MessageType.Auth, (e) => {
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, token);
    }),
  /** Sync step 1 with an empty state vector: "send me everything". */
  syncStep1: (key: string) =>
    frame(key, MessageType.Sync, (e) => {
      encoding.writeVarUint(e, SyncStep.One);
      encoding.writeVarUint8Array(e, new Uint8Array([0]));
    }),
  update: (key: string, update: Uint8Array, step: number = SyncStep.Update) =>
    frame(key, MessageType.Sync, (e) => {
      encoding.writeVarUint(e, step);
      encoding.writeVarUint8Array(e, update);
    }),
  /** One client's awareness entry, as a provider sends it. */
  awareness: (key: string, clientId: number, clock: number, stateJson: string) =>
    frame(key, MessageType.Awareness, (e) => {
      const inner = encoding.createEncoder();
      encoding.writeVarUint(inner, 1);
      encoding.writeVarUint(inner, clientId);
      encoding.writeVarUint(inner, clock);
      encoding.writeVarString(inner, stateJson);
      encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    }),
};

const emptyUpdate = new Uint8Array([0, 0]);

export interface LightClientHandlers {
  /** A document update broadcast (sync update or a step 2 after the first); `body` starts at the update's length prefix. */
  onUpdate?: (data: Buffer, body: number) => void;
  onAwareness?: () => void;
  /** The server acknowledged an update (SyncStatus). */
  onAck?: () => void;
}

export class LightClient {
  readonly key: string;
  readonly ws: WebSocket;
  /** Resolves with the size of the first full state (sync step 2) once it has arrived. */
  readonly synced: Promise<number>;
  syncedAt = 0;
  awarenessReceived = 0;
  /** Updates the server acknowledged (SyncStatus) so far. */
  acks = 0;
  /** Frames sent that the server will acknowledge (sync step 2 replies and updates), in order. */
  private acksExpected = 0;
  private ackWaiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly handlers: LightClientHandlers;
  private resolveSynced!: (bytes: number) => void;
  private isSynced = false;

  /** Opens a socket, authenticates and asks for the full state (as a provider does on connect). */
  constructor(address: { url: string; key: string; token: string }, handlers: LightClientHandlers = {}) {
    this.key = address.key;
    this.handlers = handlers;
    let reject!: (error: Error) => void;
    this.synced = new Promise<number>((resolve, fail) => {
      this.resolveSynced = resolve;
      reject = fail;
    });
    // Callers may never await `synced` (a client that only writes); its failure is reported elsewhere.
    this.synced.catch(() => {});
    this.ws = new WebSocket(address.url, { perMessageDeflate: false, handshakeTimeout: 60_000 });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      this.ws.send(encodeFrame.auth(address.key, address.token));
      this.ws.send(encodeFrame.syncStep1(address.key));
    });
    this.ws.on('message', (data: Buffer) => this.receive(data));
    this.ws.on('error', (error) => reject(error));
    this.ws.on('close', (code) => {
      if (!this.isSynced) reject(new Error(`closed with ${code} before syncing`));
    });
  }

  /** Resolves once `count` acknowledgements in all have arrived. */
  untilAcks(count: number): Promise<void> {
    if (this.acks >= count) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push({ count, resolve }));
  }

  /** Resolves once everything sent so far that the server acknowledges is acknowledged. */
  allAcknowledged(): Promise<void> {
    return this.untilAcks(this.acksExpected);
  }

  /** Sends an update and resolves when the server has acknowledged it (and every one before). */
  async sendUpdate(update: Uint8Array): Promise<void> {
    this.send(encodeFrame.update(this.key, update));
    await this.untilAcks(this.acksExpected);
  }

  /** Sends a frame; an update or sync step 2 is counted as one acknowledgement to come. */
  send(data: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const type = data[1 + data[0]];
    const step = data[2 + data[0]];
    if (type === MessageType.Sync && step !== SyncStep.One) this.acksExpected += 1;
    this.ws.send(data);
  }

  close(): void {
    this.ws.terminate();
  }

  private receive(data: Buffer): void {
    // Header: varString key (length < 128 here), varUint type (< 128).
    const keyLength = data[0];
    if (keyLength >= 0x80) throw new Error('bench keys are shorter than 128 bytes');
    let at = 1 + keyLength;
    const type = data[at++];
    switch (type) {
      case MessageType.Sync:
      case MessageType.SyncReply: {
        const step = data[at++];
        if (step === SyncStep.One) {
          // The server asks for our state: we have none (as a provider would answer, empty).
          this.send(encodeFrame.update(this.key, emptyUpdate, SyncStep.Two));
        } else if (step === SyncStep.Two && !this.isSynced) {
          this.isSynced = true;
          this.syncedAt = performance.now();
          this.resolveSynced(data.byteLength);
        } else {
          this.handlers.onUpdate?.(data, at);
        }
        return;
      }
      case MessageType.Awareness:
        this.awarenessReceived += 1;
        this.handlers.onAwareness?.();
        return;
      case MessageType.SyncStatus:
        this.acks += 1;
        if (this.ackWaiters.length > 0) {
          this.ackWaiters = this.ackWaiters.filter((w) => (w.count <= this.acks ? (w.resolve(), false) : true));
        }
        this.handlers.onAck?.();
        return;
      case MessageType.Auth:
        // 1: permission denied (2: authenticated).
        if (data[at] === 1) this.ws.emit('error', new Error(`permission denied for ${this.key}`));
        return;
      default:
    }
  }
}

/** Opens `count` clients `batch` at a time (each batch synced before the next), or all at once. */
export async function connectAll(make: (i: number) => LightClient, count: number, batch = count): Promise<LightClient[]> {
  const clients: LightClient[] = [];
  for (let start = 0; start < count; start += batch) {
    const group = Array.from({ length: Math.min(batch, count - start) }, (_, k) => make(start + k));
    clients.push(...group);
    await Promise.all(group.map((c) => c.synced));
  }
  return clients;
}
