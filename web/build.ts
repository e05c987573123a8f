/**
 * Builds the demo page into web/dist when its inputs changed since the last build (their hash is
 * kept in web/dist/.inputs), so that `npm ci && npm start` serves a current page with no extra
 * command: `prepare` (npm ci), `prestart` (npm start) and the test setup all call it.
 *
 *   node web/build.ts           build if stale
 *   node web/build.ts --force   always build
 *
 * Without Vite (an install with --omit=dev) it says so and exits 0: the server then answers `/`
 * with a page that explains how to build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const rootDir = join(webDir, '..');
const outDir = join(webDir, 'dist');
const stampPath = join(outDir, '.inputs');

/** Everything the bundle is made of: the page, its config, the client it imports, the locked dependencies. */
const inputs = ['web/index.html', 'web/vite.config.ts', 'web/src', 'web/public', 'src/client', 'src/tutor/protocol.ts', 'package-lock.json'];

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => listFiles(join(path, entry.name)));
}

export function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap((input) => listFiles(join(rootDir, input)))) {
    hash.update(relative(rootDir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

export function isWebBuildFresh(hash = inputsHash()): boolean {
  if (!existsSync(join(outDir, 'index.html')) || !existsSync(stampPath)) return false;
  return readFileSync(stampPath, 'utf8').trim() === hash;
}

export type BuildOutcome = 'fresh' | 'built' | 'vite-missing';

/** Builds web/dist unless it is current (or `force`). */
export async function ensureWebBuilt(options: { force?: boolean; quiet?: boolean } = {}): Promise<BuildOutcome> {
  const hash = inputsHash();
  if (!options.force && isWebBuildFresh(hash)) return 'fresh';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    console.warn('tutorboard: demo page not built (vite is a dev dependency; run `npm ci` with dev dependencies, then `npm run build:web`)');
    return 'vite-missing';
  }
  const started = performance.now();
  await vite.build({ configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stampPath, `${hash}\n`);
  if (!options.quiet) console.log(`tutorboard: demo page built into web/dist in ${Math.round(performance.now() - started)} ms`);
  return 'built';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureWebBuilt({ force: process.argv.includes('--force') }).catch((error) => {
    console.error('tutorboard: demo page build failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
