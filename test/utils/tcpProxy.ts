/**
 * A TCP proxy in front of a test server, to make the network misbehave under real sockets:
 * - `freezeOpen()`: connections open now stop carrying bytes either way (a dead link, or a
 *   browser that went offline and keeps its sockets open); new connections pass;
 * - `muteAfterHandshake`: new connections pass the upgrade's response and nothing after it (a
 *   socket that opens and never hears its `welcome`);
 * - `refuseNew`: new connections are cut at once (nothing listens);
 * - `inject(data)`: a WebSocket frame to every client, as if the server had sent it.
 * Closed after the test.
 */
import { EventEmitter } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { registerCleanup } from './cleanup.ts';

interface Link {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
  mute: boolean;
  /** The upstream's bytes until the end of the HTTP response head, while muted. */
  head: Buffer;
  handshakeDone: boolean;
}

export interface TcpProxy extends EventEmitter<{ accepted: []; muted: [] }> {
  port: number;
  /** `ws://127.0.0.1:<proxy port><path>` */
  url(path: string): string;
  muteAfterHandshake: boolean;
  refuseNew: boolean;
  freezeOpen(): void;
  /** Sends a text frame (a string) or a binary frame (bytes) to every client side now. */
  inject(data: string | Uint8Array): void;
  /** Connections accepted so far. */
  readonly accepted: number;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  const proxy = Object.assign(new EventEmitter<{ accepted: []; muted: [] }>(), {
    port: 0,
    url: (path: string) => `ws://127.0.0.1:${proxy.port}${path}`,
    muteAfterHandshake: false,
    refuseNew: false,
    accepted: 0,
    freezeOpen() {
      for (const link of links) link.frozen = true;
    },
    inject(data: string | Uint8Array) {
      const frame = serverFrame(data);
      for (const link of links) if (!link.frozen) link.client.write(frame);
    },
  });
  const server = createServer((client) => {
    if (proxy.refuseNew) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const link: Link = { client, upstream, frozen: false, mute: proxy.muteAfterHandshake, head: Buffer.alloc(0), handshakeDone: false };
    links.add(link);
    proxy.accepted += 1;
    client.on('data', (data) => {
      if (!link.frozen) upstream.write(data);
    });
    upstream.on('data', (data) => {
      if (link.frozen) return;
      if (!link.mute) {
        client.write(data);
        return;
      }
      if (link.handshakeDone) return;
      link.head = Buffer.concat([link.head, data]);
      const end = link.head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.write(link.head.subarray(0, end + 4));
      link.handshakeDone = true;
      proxy.emit('muted');
    });
    const drop = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
    proxy.emit('accepted');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  registerCleanup(async () => {
    for (const link of links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return proxy;
}

/** An unmasked (server to client) WebSocket frame, FIN set. */
function serverFrame(data: string | Uint8Array): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const opcode = typeof data === 'string' ? 0x1 : 0x2;
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([0x80 | opcode, payload.length]);
  } else if (payload.length < 65_536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    throw new RangeError('inject: keep test frames under 64 KiB');
  }
  return Buffer.concat([header, payload]);
}
