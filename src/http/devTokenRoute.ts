/**
 * `POST /dev/token` {session, name, role} → a short-lived token for the demo page, so that a
 * newcomer can open two windows without minting tokens by hand. Development only (config refuses
 * it with NODE_ENV=production).
 *
 * What keeps it tame:
 * - `DEV_TOKENS=loopback` (the default) answers only a request that comes from this machine AND
 *   names this machine in its Host header, so a page on another site cannot reach it through DNS
 *   rebinding, and a dev server listening on 0.0.0.0 does not hand tokens to the LAN;
 * - a cross-origin request is refused (the Origin must be the server itself), and the body must be
 *   JSON, which a plain HTML form cannot send;
 * - it never mints `role: admin` for a caller's choosing: a tutor also gets an admin token scoped
 *   to that one session (for the snapshots drawer), never `sid: "*"`; tokens expire after an hour.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Authenticator, Role } from '../auth.ts';
import { BadRequestError, ForbiddenError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { assertSessionId } from '../routes.ts';
import { readJsonBody, sendJson } from './json.ts';

export type DevTokenMode = 'off' | 'loopback' | 'any';

export const devTokenRoles = ['tutor', 'student', 'observer'] as const;
export type DevTokenRole = (typeof devTokenRoles)[number];

/** Longest display name, in characters; the name is the token's `sub`. */
export const maxNameLength = 40;

export interface DevTokenResponse {
  token: string;
  /** For tutors only: `role: admin` for this session alone, for the snapshot API. */
  adminToken?: string;
  userId: string;
  role: DevTokenRole;
  sessionId: string;
  expiresInS: number;
}

export interface DevTokenDependencies {
  mode: DevTokenMode;
  authenticator: Authenticator;
  ttlS: number;
  logger?: Logger;
}

/** Whether this request may mint tokens under `mode` (also tells the page whether to ask for a pasted token). */
export function devTokensAllowed(request: IncomingMessage, mode: DevTokenMode, authenticator: Authenticator): boolean {
  if (mode === 'off' || !authenticator.canSign) return false;
  if (!sameOrigin(request)) return false;
  return mode === 'any' || (isLoopbackAddress(request.socket.remoteAddress) && isLoopbackHost(request.headers.host));
}

export async function handleDevTokenRequest(request: IncomingMessage, response: ServerResponse, deps: DevTokenDependencies): Promise<void> {
  const { mode, authenticator, ttlS, logger } = deps;
  if (!devTokensAllowed(request, mode, authenticator)) {
    request.resume();
    throw new ForbiddenError(
      !authenticator.canSign
        ? 'this server verifies tokens with a public key (JWT_PUBLIC_KEY) and cannot mint any'
        : !sameOrigin(request)
          ? 'cross-origin requests cannot mint development tokens'
          : 'development tokens are handed out to this machine only (DEV_TOKENS=loopback; set DEV_TOKENS=any to allow other devices)',
    );
  }
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    request.resume();
    throw new BadRequestError('send the request as application/json', 'invalid_content_type');
  }
  const body = await readJsonBody(request, 4096);
  const sessionId = typeof body.session === 'string' ? body.session : '';
  assertSessionId(sessionId);
  const userId = parseName(body.name);
  const role = parseRole(body.role);
  const answer: DevTokenResponse = {
    token: authenticator.sign({ sub: userId, sid: sessionId, role }, ttlS),
    userId,
    role,
    sessionId,
    expiresInS: ttlS,
  };
  if (role === 'tutor') answer.adminToken = authenticator.sign({ sub: userId, sid: sessionId, role: 'admin' satisfies Role }, ttlS);
  logger?.info({ event: 'dev_token', sessionId, userId, role, admin: role === 'tutor' }, 'development token minted');
  sendJson(response, 200, answer);
}

function parseName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name === '' || name.length > maxNameLength || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new BadRequestError(`name must be 1 to ${maxNameLength} printable characters`, 'invalid_name');
  }
  return name;
}

function parseRole(value: unknown): DevTokenRole {
  if (typeof value !== 'string' || !(devTokenRoles as readonly string[]).includes(value)) {
    throw new BadRequestError(`role must be one of ${devTokenRoles.join(', ')}`, 'invalid_role');
  }
  return value as DevTokenRole;
}

/** No Origin (curl, a same-origin GET) is fine; a browser's cross-origin request carries a foreign one. */
function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || isLoopbackAddress(hostname);
}
