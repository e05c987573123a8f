/**
 * An ordinary TCP load balancer for cluster tests: each new connection goes to the next backend
 * in turn (no stickiness), and to the one after it when that backend refuses. Like HAProxy in
 * `mode tcp` with `balance roundrobin`, which is what the README's snippet configures.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export interface LoadBalancer {
  port: number;
  url: string;
  /** Backends as `port` numbers on 127.0.0.1; may be changed while running. */
  backends: number[];
  /** How many connections each backend port received. */
  counts: Map<number, number>;
  close(): Promise<void>;
}

export async function startLoadBalancer(backends: number[]): Promise<LoadBalancer> {
  const sockets = new Set<Socket>();
  let next = 0;
  const balancer: LoadBalancer = {
    port: 0,
    url: '',
    backends: [...backends],
    counts: new Map(),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const forward = (client: Socket, attempt: number) => {
    const list = balancer.backends;
    if (attempt >= list.length || client.destroyed) {
      client.destroy();
      return;
    }
    const port = list[next++ % list.length];
    const upstream = connect({ host: '127.0.0.1', port });
    sockets.add(upstream);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      balancer.counts.set(port, (balancer.counts.get(port) ?? 0) + 1);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
    upstream.once('error', () => {
      sockets.delete(upstream);
      // Refused (the backend is down): the next one gets this client, as a balancer's retry does.
      if (!connected) forward(client, attempt + 1);
    });
    upstream.on('close', () => sockets.delete(upstream));
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    forward(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  balancer.port = (server.address() as AddressInfo).port;
  balancer.url = `http://127.0.0.1:${balancer.port}`;
  onTestFinished(() => balancer.close());
  return balancer;
}
