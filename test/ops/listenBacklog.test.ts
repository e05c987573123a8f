import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServer } from '../utils/server.ts';

/** The backlog the kernel gave the listening socket: `ss` shows it as Send-Q of a LISTEN socket. */
function listenQueue(port: number): number {
  const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim().split('\n')[0];
  return Number(line.trim().split(/\s+/)[2]);
}

describe('listen backlog', () => {
  it('LISTEN_BACKLOG reaches the listening socket (default 4096, not Node\'s 511), capped by net.core.somaxconn', async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const byDefault = await startServer();
    expect(listenQueue(byDefault.port)).toBe(Math.min(4096, somaxconn));
    const small = await startServer({ LISTEN_BACKLOG: '300' });
    expect(listenQueue(small.port)).toBe(Math.min(300, somaxconn));
  });
});
