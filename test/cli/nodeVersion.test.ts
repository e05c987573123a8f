/**
 * On a Node too old for type stripping, bin/tutorboard prints the version it needs and how to
 * get it, in one line, instead of ERR_UNKNOWN_FILE_EXTENSION with a stack trace. Run with the
 * machine's own older Node where there is one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binPath } from '../utils/childServer.ts';

function olderNode(): { path: string; version: string } | undefined {
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => `${dir}/node`);
  for (const path of new Set(['/usr/bin/node', '/usr/local/bin/node', ...onPath])) {
    if (!existsSync(path)) continue;
    let version: string;
    try {
      version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      continue;
    }
    const [major, minor] = version.slice(1).split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 18)) return { path, version };
  }
  return undefined;
}

describe('bin/tutorboard on an older Node', () => {
  const old = olderNode();
  it.skipIf(!old)(`prints one line with the version needed and how to get it (${old?.path ?? 'no older node here'})`, () => {
    for (const args of [['serve'], ['--version'], ['token', '--sub', 'a', '--session', 'b']]) {
      const result = spawnSync(old!.path, [binPath, ...args], { encoding: 'utf8', timeout: 15_000 });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `tutorboard needs Node.js 22.18 or newer, this is ${old!.version}: install Node 22 LTS (https://nodejs.org, or "nvm install 22") and run it again.\n`,
      );
    }
  });
});
