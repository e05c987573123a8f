/**
 * The WebSocket paths. Both transports parse with these so that the rules
 * (`sessionId` shape, 400 vs 404) live in one place.
 */
import { BadRequestError } from './errors.ts';

export const sessionIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export type SessionRoute = { kind: 'whiteboard' | 'tutor'; sessionId: string };

const routePattern = /^\/ws\/v2\/session\/([^/]*)(\/whiteboard)?\/?$/;

/**
 * `null` for a path that is not ours (404); throws BadRequestError for our path with a bad id.
 */
export function parseSessionRoute(pathname: string): SessionRoute | null {
  const match = routePattern.exec(pathname);
  if (!match) return null;
  let sessionId: string;
  try {
    sessionId = decodeURIComponent(match[1]);
  } catch {
    throw new BadRequestError('sessionId is not valid URL encoding', 'invalid_session_id');
  }
  assertSessionId(sessionId);
  return { kind: match[2] ? 'whiteboard' : 'tutor', sessionId };
}

export function assertSessionId(sessionId: string): void {
  if (!sessionIdPattern.test(sessionId)) {
    throw new BadRequestError('sessionId must match [A-Za-z0-9_-]{1,128}', 'invalid_session_id');
  }
}

/**
 * The request URL as a URL object (the host is irrelevant: only path and query are read).
 * A target the URL parser refuses (`//:99999/…`, `//[…`) is the client's error: BadRequestError
 * (400 `invalid_url`), whose message does not repeat the target (Node's own error carries it
 * whole, query and token included, into whatever logs the error).
 */
export function requestUrl(url: string | undefined): URL {
  try {
    return new URL(url ?? '/', 'http://localhost');
  } catch {
    throw new BadRequestError('the request target is not a valid URL', 'invalid_url');
  }
}

/** The path of a request target without parsing it; never throws (for classifying, not routing). */
export function requestPath(url: string | undefined): string {
  const raw = url ?? '/';
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}
