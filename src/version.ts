/** The package version, read once (shown by `GET /`, `/health` and `--version`). */
import { readFileSync } from 'node:fs';

/** From the sources, package.json is one folder up; from the built dist/src/, two. */
function readVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tutorboard' && pkg.version) return pkg.version;
    } catch {
      // not here; try the next
    }
  }
  throw new Error('tutorboard: package.json not found next to the code');
}

export const version: string = readVersion();
