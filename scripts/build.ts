/**
 * Builds what the package ships: dist/ (JavaScript and declarations from tsconfig.build.json)
 * plus the SQL migrations the store reads next to its code. Runs on `npm pack` (prepack).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// tsc rewrites `.ts` specifiers in the JavaScript but keeps them in declarations, which older
// TypeScript versions (and any consumer without allowImportingTsExtensions) refuse.
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const path = join(dist, file);
  const text = readFileSync(path, 'utf8');
  const rewritten = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
  if (rewritten !== text) writeFileSync(path, rewritten);
}
// src/storage/migrations.ts reads ../../migrations/ from its own folder: dist/src/storage → dist/migrations
// (recursive: postgresMigrations.ts reads the migrations/postgres/ subfolder the same way).
cpSync(join(root, 'migrations'), join(dist, 'migrations'), { recursive: true });
// Static files read next to the code the same way (../web/dist from dist/extensions), when built.
if (existsSync(join(root, 'web', 'dist'))) cpSync(join(root, 'web', 'dist'), join(dist, 'web', 'dist'), { recursive: true });
console.log(`built ${dist}`);
