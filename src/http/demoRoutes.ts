/**
 * The demo page's routes:
 *
 *   GET  /                   the page, for a browser (Accept: text/html); others keep the JSON index
 *   GET  /demo/config.json   {devTokens, name, version}: whether this browser can get tokens from us
 *   POST /dev/token          a development token (src/http/devTokenRoute.ts)
 *   GET  /assets/…, /favicon.svg …   the built files in web/dist
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Authenticator } from '../auth.ts';
import { TutorboardError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { requestUrl } from '../routes.ts';
import { version } from '../version.ts';
import { devTokensAllowed, handleDevTokenRequest, type DevTokenMode } from './devTokenRoute.ts';
import { sendError, sendJson } from './json.ts';
import { pageSecurityHeaders, resolveStaticFile, sendStaticFile } from './staticFiles.ts';

export interface DemoRouteDependencies {
  /** Serve the page and its files. */
  pageEnabled: boolean;
  devTokens: DevTokenMode;
  /** The built page (web/dist). */
  webRoot: string;
  authenticator: Authenticator;
  devTokenTtlS: number;
  logger?: Logger;
}

/** What the page reads before showing its join form. */
export interface DemoConfigJson {
  name: 'tutorboard';
  version: string;
  /** True when this browser can get tokens from `POST /dev/token`; otherwise it asks for a pasted one. */
  devTokens: boolean;
  /** `DEV_TOKENS`, so the page can tell another device how to get in. */
  devTokenMode: DevTokenMode;
}

/** Answers the request and returns true when it is one of the demo's routes; false otherwise. */
export async function handleDemoRequest(request: IncomingMessage, response: ServerResponse, deps: DemoRouteDependencies): Promise<boolean> {
  const { pathname } = requestUrl(request.url);
  const method = request.method ?? 'GET';
  try {
    if (pathname === '/dev/token' && deps.devTokens !== 'off') {
      if (method !== 'POST') return methodNotAllowed(request, response, 'POST');
      await handleDevTokenRequest(request, response, {
        mode: deps.devTokens,
        authenticator: deps.authenticator,
        ttlS: deps.devTokenTtlS,
        logger: deps.logger,
      });
      return true;
    }
    if (!deps.pageEnabled || (method !== 'GET' && method !== 'HEAD')) return false;
    if (pathname === '/demo/config.json') {
      const body: DemoConfigJson = {
        name: 'tutorboard',
        version,
        devTokens: devTokensAllowed(request, deps.devTokens, deps.authenticator),
        devTokenMode: deps.devTokens,
      };
      sendJson(response, 200, body);
      return true;
    }
    if (pathname === '/') {
      // curl, fetch and the tests ask for */* or JSON and keep getting the JSON index.
      if (!/\btext\/html\b/.test(request.headers.accept ?? '')) return false;
      const index = await resolveStaticFile(deps.webRoot, '/index.html');
      if (!index) {
        sendNotBuilt(response, deps.webRoot);
        return true;
      }
      await sendStaticFile(request, response, index, '/index.html');
      return true;
    }
    const file = await resolveStaticFile(deps.webRoot, pathname);
    if (!file) return false;
    await sendStaticFile(request, response, file, pathname);
    return true;
  } catch (error) {
    request.resume();
    if (!(error instanceof TutorboardError)) deps.logger?.error({ err: error, method, path: pathname }, 'demo request failed');
    sendError(response, error);
    return true;
  }
}

function methodNotAllowed(request: IncomingMessage, response: ServerResponse, allowed: string): true {
  request.resume();
  sendJson(response, 405, { error: { code: 'method_not_allowed', message: `${request.method} is not allowed here` } }, { Allow: allowed });
  return true;
}

/** A started server without the built page (installed with --omit=dev, or never built) says how to fix it. */
function sendNotBuilt(response: ServerResponse, webRoot: string): void {
  const body =
    '<!doctype html><meta charset="utf-8"><title>tutorboard</title>' +
    '<body style="font:16px system-ui;margin:3rem;max-width:40rem">' +
    '<h1>The demo page is not built</h1>' +
    `<p>Nothing at <code>${escapeHtml(join(webRoot, 'index.html'))}</code>. ` +
    'Run <code>npm run build:web</code> (it needs the dev dependencies: <code>npm ci</code>), then reload.</p>' +
    '<p>The WebSocket endpoints work without it: see the README.</p></body>';
  response.writeHead(503, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...pageSecurityHeaders,
  });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
