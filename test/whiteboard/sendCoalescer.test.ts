/**
 * The send coalescer holds a socket's writes until the current task ends, then writes them
 * together, in order; nothing stays held past the task or after dispose.
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SendCoalescer } from '../../src/whiteboard/SendCoalescer.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { withTimeout } from '../utils/waitFor.ts';

async function socketPair(): Promise<{ sender: Socket; received: () => string; until: (text: string) => Promise<void> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const sender = connect((server.address() as { port: number }).port, '127.0.0.1');
  const [receiver] = (await accepted) as [Socket];
  registerCleanup(() => {
    sender.destroy();
    receiver.destroy();
    server.close();
  });
  let text = '';
  receiver.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const until = (expected: string) =>
    withTimeout(
      new Promise<void>((resolve) => {
        const check = () => text.length >= expected.length && (receiver.off('data', check), resolve());
        receiver.on('data', check);
        check();
      }),
      5_000,
      `"${expected}"`,
    );
  await once(sender, 'connect');
  return { sender, received: () => text, until };
}

describe('SendCoalescer', () => {
  it('holds the writes of one task and releases them together, in order, when it ends', async () => {
    const { sender, received, until } = await socketPair();
    const coalescer = new SendCoalescer();
    registerCleanup(() => coalescer.dispose());
    for (const part of ['one,', 'two,', 'three']) {
      coalescer.hold(sender);
      sender.write(part);
    }
    expect(sender.writableCorked).toBe(1);
    expect(sender.writableLength).toBe('one,two,three'.length);
    await Promise.resolve();
    expect(sender.writableCorked).toBe(0);
    await until('one,two,three');
    expect(received()).toBe('one,two,three');
  });

  it('releases everything held on dispose', async () => {
    const { sender, until } = await socketPair();
    const coalescer = new SendCoalescer();
    coalescer.hold(sender);
    sender.write('held');
    coalescer.dispose();
    expect(sender.writableCorked).toBe(0);
    await until('held');
    coalescer.dispose();
  });
});
