/**
 * The probes and the scrape endpoint:
 *
 *   GET /health   liveness: 200 while the process runs
 *   GET /ready    readiness: 200 only when the store takes a committed write, the disk has room and no shutdown has begun;
 *                 with REDIS_URL its body says whether Redis is reachable (`redis`), but a Redis outage
 *                 keeps it 200: every instance serves its own clients, and a load balancer must not
 *                 take all of them out at once
 *   GET /metrics  Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <it>`
 *
 * Returns false for any other request, so the next handler gets it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RedisStatus } from '../cluster/RedisHealth.ts';
import { UnauthorizedError } from '../errors.ts';
import { requestUrl } from '../routes.ts';
import { version } from '../version.ts';
import { sendError, sendJson } from './json.ts';

export interface OpsTarget {
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly isShuttingDown: boolean;
  /** Runs the storage probe (a committed write and a free-space check) and says what failed. */
  readonly storage: { check(): Promise<boolean>; readonly failure: { operation: string; code: string; message: string; since: number } | undefined };
  /** Redis's state, with REDIS_URL; shown by `/ready`, never a reason to fail it. */
  readonly redis?: () => RedisStatus;
  readonly metricsToken: string | undefined;
  scrapeMetrics(): Promise<{ contentType: string; body: string }>;
}

export async function handleOpsRequest(request: IncomingMessage, response: ServerResponse, target: OpsTarget): Promise<boolean> {
  const { pathname } = requestUrl(request.url);
  if (pathname !== '/health' && pathname !== '/ready' && pathname !== '/metrics') return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendJson(response, 405, { error: { code: 'method_not_allowed', message: `${pathname} only answers GET` } }, { Allow: 'GET, HEAD' });
    return true;
  }
  try {
    if (pathname === '/health') {
      sendJson(response, 200, { status: 'ok', version, uptimeS: Math.floor((Date.now() - target.startedAt) / 1000) });
    } else if (pathname === '/ready') {
      const reason = await notReadyReason(target);
      const storage = reason === 'storage_not_writable' ? target.storage.failure : undefined;
      const redis = target.redis ? { redis: target.redis() } : {};
      if (reason) sendJson(response, 503, { status: 'unavailable', reason, ...(storage ? { storage } : {}), ...redis }, { 'Retry-After': '5' });
      else sendJson(response, 200, { status: 'ready', ...redis });
    } else {
      checkMetricsToken(request, target.metricsToken);
      const { contentType, body } = await target.scrapeMetrics();
      response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      response.end(body);
    }
  } catch (error) {
    sendError(response, error);
  }
  return true;
}

async function notReadyReason(target: OpsTarget): Promise<string | undefined> {
  if (target.isShuttingDown) return 'shutting_down';
  if (!(await target.storage.check())) return 'storage_not_writable';
  return undefined;
}

function checkMetricsToken(request: IncomingMessage, expected: string | undefined): void {
  if (expected === undefined) return;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  const given = Buffer.from(match?.[1] ?? '');
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw new UnauthorizedError('metrics need "Authorization: Bearer <METRICS_TOKEN>"');
  }
}
