/**
 * The JSON boundary of the HTTP API: bodies in, responses and errors out. Handlers throw the
 * error classes of src/errors.ts; `sendError` turns them into `{ error: { code, message } }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Authenticator, requireAdmin, tokenFromRequest, type Principal } from '../auth.ts';
import { BadRequestError, TutorboardError, UnauthorizedError } from '../errors.ts';
import { requestUrl } from '../routes.ts';
import { maxNestingDepth, nestedDeeperThan } from '../tutor/protocol.ts';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(payload);
}

/** Sends a TutorboardError as its status; anything else is a 500 whose details stay in the log. */
export function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof TutorboardError) {
    sendJson(response, error.status, { error: { code: error.code, message: error.message } });
    return;
  }
  sendJson(response, 500, { error: { code: 'internal', message: 'internal error' } });
}

/**
 * Reads a JSON object body of at most `limitBytes` and `maxDepth` levels of nesting; an empty
 * body is `{}`. The depth is checked before parsing: `JSON.parse` takes any depth, but a handler
 * that serializes the value again (a tutor message) overflows the stack on 30,000 levels.
 */
export async function readJsonBody(request: IncomingMessage, limitBytes = 64 * 1024, maxDepth = maxNestingDepth): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BadRequestError(`body larger than ${limitBytes} bytes`, 'body_too_large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  if (nestedDeeperThan(text, maxDepth)) {
    throw new BadRequestError(`body is nested deeper than ${maxDepth} levels`, 'body_too_deep');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON', 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('body must be a JSON object', 'invalid_body');
  }
  return value as Record<string, unknown>;
}

/** The admin principal of a request: a Bearer (or ?token=) JWT with role admin covering `sessionId`. */
export function adminPrincipal(request: IncomingMessage, authenticator: Authenticator, sessionId?: string): Principal {
  const token = tokenFromRequest(request.headers.authorization, requestUrl(request.url));
  if (token === undefined) throw new UnauthorizedError('missing bearer token');
  const principal = authenticator.verify(token);
  requireAdmin(principal, sessionId);
  return principal;
}

/**
 * Matches `pattern` like `/api/sessions/:sessionId/snapshots/:id` against a path; returns the
 * decoded parameters or null.
 */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = pathname.replace(/\/+$/, '').split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(':')) {
      try {
        params[want[i].slice(1)] = decodeURIComponent(have[i]);
      } catch {
        return null;
      }
    } else if (want[i] !== have[i]) return null;
  }
  return params;
}
