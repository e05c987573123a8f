/**
 * `tutorboard/client` is bundled into front-end apps: everything it reaches must be free of Node
 * built-ins, npm packages and server code. This walks its import graph from the entry point.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = resolve(root, 'src/client/index.ts');

/** Every module specifier of a file: static imports and re-exports, dynamic imports. */
function specifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) found.push(match[1]);
  for (const match of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(match[1]);
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]);
  return found;
}

function graph(start: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [start];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const imports = specifiers(file);
    seen.set(file, imports);
    for (const specifier of imports) if (specifier.startsWith('.')) todo.push(resolve(dirname(file), specifier));
  }
  return seen;
}

describe('tutorboard/client', () => {
  it('reaches only relative modules of its own and the shared protocol, never Node or the server', () => {
    const modules = graph(entry);
    const bare = [...modules].flatMap(([file, imports]) => imports.filter((s) => !s.startsWith('.')).map((s) => `${relative(root, file)} → ${s}`));
    expect(bare).toEqual([]);
    expect([...modules.keys()].map((file) => relative(root, file)).sort()).toEqual([
      'src/client/Listeners.ts',
      'src/client/Liveness.ts',
      'src/client/RefusalCheck.ts',
      'src/client/RoomView.ts',
      'src/client/TutorChannelClient.ts',
      'src/client/TutorChannelClientOptions.ts',
      'src/client/closeCodes.ts',
      'src/client/index.ts',
      'src/client/parseServerMessage.ts',
      'src/client/watchNetwork.ts',
      'src/client/whenSaved.ts',
      'src/roles.ts',
      'src/tutor/protocol.ts',
      'src/whiteboard/saveProtocol.ts',
    ]);
  });

  it('names no Node global in its sources (Buffer, process, require)', () => {
    for (const file of graph(entry).keys()) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, relative(root, file)).not.toMatch(/\b(Buffer|process|require|__dirname)\b/);
    }
  });
});
