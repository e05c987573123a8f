/**
 * A plain GET on a WebSocket path. A browser never sees why an upgrade was refused (scripts get
 * close code 1006 whatever the status), so a client that keeps failing to connect asks here with
 * the same URL over http(s): with a token (query or header) the answer is the refusal the upgrade
 * would get, the same status and `{ error: { code, message } }`; without a token, or when the
 * upgrade would be accepted, it is 426 Upgrade Required as before.
 *
 * Readable from any origin (no credentials): pages often live on another origin than the boards,
 * and the answer only tells the caller about the token it already holds.
 */
import type { ServerResponse } from 'node:http';
import { tokenFromRequest } from './auth.ts';
import { TutorboardError } from './errors.ts';
import { sendJson } from './http/json.ts';
import type { SessionRoute } from './routes.ts';

/** How an upgrade is refused: the status line, the JSON error and extra headers (Retry-After). */
export interface UpgradeRefusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** Headers of every answer on a WebSocket path to a plain request. */
export const probeHeaders: Readonly<Record<string, string>> = { 'Access-Control-Allow-Origin': '*' };

/** A TutorboardError as the refusal it becomes at the upgrade boundary; anything else is rethrown. */
export function refusalOf(error: unknown): UpgradeRefusal {
  if (!(error instanceof TutorboardError)) throw error;
  return { status: error.status, code: error.code, message: error.message };
}

/**
 * Answers a plain GET on `route`. `check` runs the upgrade's own checks for this request and
 * returns their refusal, or undefined when the upgrade would go ahead.
 */
export function answerPlainRequest(
  response: ServerResponse,
  route: SessionRoute,
  url: URL,
  authorization: string | undefined,
  check: () => UpgradeRefusal | undefined,
): UpgradeRefusal | undefined {
  let refusal: UpgradeRefusal | undefined;
  try {
    if (authorization || tokenFromRequest(undefined, url) !== undefined) refusal = check();
  } catch (error) {
    refusal = refusalOf(error);
  }
  if (refusal) {
    sendJson(response, refusal.status, { error: { code: refusal.code, message: refusal.message } }, { ...probeHeaders, ...refusal.headers });
    return refusal;
  }
  // A browser tab or curl on a WebSocket path: say what it is instead of "not found".
  sendJson(
    response,
    426,
    { error: { code: 'upgrade_required', message: `${url.pathname} is a WebSocket endpoint (the ${route.kind} of session ${route.sessionId}); connect with a WebSocket client` } },
    { ...probeHeaders, Upgrade: 'websocket', Connection: 'Upgrade' },
  );
  return undefined;
}
