/**
 * Serves the demo page's built files (web/dist) read-only. Only regular files inside the root are
 * served; the request path is decoded and resolved, so `..`, encoded slashes or a symlink out of
 * the root answer "not mine" instead of a file.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The page may only talk to its own origin; inline styles are allowed because the board positions
 * cursors and shapes through style attributes.
 */
export const pageSecurityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The file under `root` that `urlPath` names, or undefined when there is none (or it would leave `root`). */
export async function resolveStaticFile(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  // Dot files (the build's input stamp, editors' leftovers) are not part of the page.
  if (decoded.includes('\0') || decoded.includes('\\') || /(^|\/)\./.test(decoded)) return undefined;
  const base = resolve(root);
  const candidate = resolve(join(base, decoded));
  if (!candidate.startsWith(base + sep)) return undefined;
  try {
    const [real, realBase] = await Promise.all([realpath(candidate), realpath(base)]);
    if (!real.startsWith(realBase + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends `file` for GET and HEAD. Vite names files under /assets/ by content hash, so those are
 * cached for good; everything else is revalidated.
 */
export async function sendStaticFile(request: IncomingMessage, response: ServerResponse, file: string, urlPath: string): Promise<void> {
  const body = await readFile(file);
  const immutable = urlPath.startsWith('/assets/');
  const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
  response.writeHead(200, {
    'Content-Type': type,
    'Content-Length': body.byteLength,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(type.startsWith('text/html') ? pageSecurityHeaders : { 'X-Content-Type-Options': 'nosniff' }),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
