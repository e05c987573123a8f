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

/** The request URL as a URL object (the host is irrelevant: only path and query are read). */
export function requestUrl(url: string | undefined): URL {
  return new URL(url ?? '/', 'http://localhost');
}
