/**
 * StdoutSink against a real pipe whose reader stops reading (a stalled log shipper), then reads
 * again, then dies: writes never block, memory stays bounded, order is kept, losses are counted.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { StdoutSink } from '../../src/StdoutSink.ts';
import { registerCleanup } from '../utils/cleanup.ts';
import { withTimeout } from '../utils/waitFor.ts';

describe('StdoutSink', () => {
  it('does not block on a stalled reader, holds at most maxBufferBytes, keeps order, counts drops, survives EPIPE', async () => {
    // `cat` copies its stdin to a stdout we do not read yet: both pipes fill up.
    const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
    registerCleanup(() => cat.kill('SIGKILL'));
    const fd = (cat.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const maxBufferBytes = 256 * 1024;
    const sink = new StdoutSink({ fd, maxBufferBytes });

    const lines = 10_000;
    const filler = 'x'.repeat(1_000);
    const started = performance.now();
    for (let i = 0; i < lines; i += 1) sink.write(`{"i":${i},"pad":"${filler}"}\n`);
    const elapsedMs = performance.now() - started;
    // ~10 MB against pipes that hold a few hundred kB: every write returned at once.
    expect(elapsedMs).toBeLessThan(2_000);
    expect(sink.dropped).toBeGreaterThan(0);
    expect(sink.pendingBytes).toBeGreaterThan(maxBufferBytes / 2);
    // At most one line beyond the limit: the first line that found stdout full is always kept.
    expect(sink.pendingBytes).toBeLessThanOrEqual(maxBufferBytes + 1_100);
    expect(sink.closed).toBe(false);

    // The reader comes back: what was queued arrives in order, then a note of what was lost.
    let output = '';
    cat.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const dropped = sink.dropped;
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (output.includes('"log_lines_dropped"') ? resolve() : setTimeout(check, 20));
        check();
      }),
      10_000,
      'the queued lines and the drop note',
    );
    const received = output.trim().split('\n').map((line) => JSON.parse(line));
    const note = received.at(-1);
    expect(note).toMatchObject({ level: 'warn', event: 'log_lines_dropped', count: dropped });
    const numbers = received.slice(0, -1).map((line) => line.i as number);
    expect(numbers).toEqual(numbers.map((_, index) => index));
    expect(numbers.length + dropped).toBe(lines);
    expect(sink.pendingBytes).toBe(0);

    // The reader dies: the next writes fail with EPIPE, and the sink just stops.
    cat.stdout!.destroy();
    cat.kill('SIGKILL');
    await new Promise((resolve) => cat.once('exit', resolve));
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          sink.write('{"after":"the reader died"}\n');
          if (sink.closed) resolve();
          else setTimeout(check, 20);
        };
        check();
      }),
      5_000,
      'the sink to notice the reader is gone',
    );
    expect(() => sink.write('{"still":"fine"}\n')).not.toThrow();
  });

  it('writes the lines of one loop turn together, in order, at its end', async () => {
    const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
    registerCleanup(() => cat.kill('SIGKILL'));
    const fd = (cat.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const sink = new StdoutSink({ fd, maxBufferBytes: 1024 * 1024 });
    let output = '';
    cat.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const lines = ['{"n":1}\n', '{"n":2}\n', '{"n":3}\n'];
    for (const line of lines) sink.write(line);
    // Held until the turn ends: one write for all three.
    expect(sink.pendingBytes).toBe(lines.join('').length);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.pendingBytes).toBe(0);
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => (output === lines.join('') ? resolve() : setTimeout(check, 10));
        check();
      }),
      5_000,
      'the three lines',
    );
  });
});
