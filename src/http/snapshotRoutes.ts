/**
 * The snapshot admin API, under `/api/sessions/{sessionId}/snapshots` (and nothing else: the
 * other `/api/sessions…` routes belong to the operations API).
 *
 *   GET    …/snapshots                  newest first
 *   POST   …/snapshots                  {"label"?} → 201
 *   GET    …/snapshots/{id}             metadata + content summary; ?format=json | ?format=yjs
 *   POST   …/snapshots/{id}/restore     → {restoredFrom, preRestoreSnapshotId, changed}
 *   DELETE …/snapshots/{id}             → 204
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import { authorize, type Authenticator } from '../auth.ts';
import { documentToJSON, summarizeDocument, type TopLevelSummary } from '../documentContent.ts';
import { BadRequestError, TutorboardError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { assertSessionId, requestUrl } from '../routes.ts';
import type { SnapshotMeta } from '../storage/SnapshotStore.ts';
import type { Snapshots } from '../../extensions/Snapshots.ts';
import { adminPrincipal, matchPath, readJsonBody, sendError, sendJson } from './json.ts';

/** The API (and `snapshots … --json`) shape of a snapshot's metadata. */
export interface SnapshotJson {
  id: number;
  /** ISO 8601, UTC. */
  createdAt: string;
  reason: SnapshotMeta['reason'];
  createdBy: string;
  byteSize: number;
  label: string | null;
}

export interface SnapshotDetailJson extends SnapshotJson {
  sessionId: string;
  summary: TopLevelSummary[];
}

export const maxLabelLength = 200;

export function snapshotJson(meta: SnapshotMeta): SnapshotJson {
  const { id, createdAt, reason, createdBy, byteSize, label } = meta;
  return { id, createdAt: new Date(createdAt).toISOString(), reason, createdBy, byteSize, label };
}

/** Metadata plus the top-level names, kinds and sizes of the snapshot's content. */
export function snapshotDetail(meta: SnapshotMeta, state: Uint8Array): SnapshotDetailJson {
  return { ...snapshotJson(meta), sessionId: meta.sessionId, summary: withDoc(state, summarizeDocument) };
}

/** The snapshot's content as JSON (top-level name → value). */
export function snapshotContent(state: Uint8Array): Record<string, unknown> {
  return withDoc(state, documentToJSON);
}

function withDoc<T>(state: Uint8Array, read: (doc: Y.Doc) => T): T {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, state);
    return read(doc);
  } finally {
    doc.destroy();
  }
}

export function parseSnapshotId(text: string): number {
  if (!/^[1-9]\d{0,14}$/.test(text)) throw new BadRequestError('snapshot id must be a positive whole number', 'invalid_snapshot_id');
  return Number(text);
}

/** Validates the optional label of a create request. */
export function parseLabel(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new BadRequestError('label must be a string', 'invalid_label');
  const label = value.trim();
  if (label.length > maxLabelLength) throw new BadRequestError(`label must be at most ${maxLabelLength} characters`, 'invalid_label');
  return label === '' ? null : label;
}

export interface SnapshotRouteDependencies {
  snapshots: Snapshots;
  authenticator: Authenticator;
  logger?: Logger;
}

const collection = '/api/sessions/:sessionId/snapshots';
const item = `${collection}/:id`;
const restore = `${item}/restore`;

/** Answers the request and returns true when the path is a snapshot route; false otherwise. */
export async function handleSnapshotRequest(
  request: IncomingMessage,
  response: ServerResponse,
  { snapshots, authenticator, logger }: SnapshotRouteDependencies,
): Promise<boolean> {
  const url = requestUrl(request.url);
  if (!url.pathname.startsWith('/api/sessions/')) return false;
  const route = matchRoute(url.pathname);
  if (!route) return false;
  const method = request.method ?? 'GET';
  const allowed = { collection: ['GET', 'POST'], item: ['GET', 'DELETE'], restore: ['POST'] }[route.kind];
  try {
    // Credentials first: an anonymous caller learns nothing about ids or sessions.
    const principal = adminPrincipal(request, authenticator);
    const { sessionId } = route.params;
    assertSessionId(sessionId);
    authorize(principal, sessionId);
    if (!allowed.includes(method)) {
      request.resume();
      sendJson(response, 405, { error: { code: 'method_not_allowed', message: `${method} is not allowed here` } }, { Allow: allowed.join(', ') });
      return true;
    }
    if (route.kind === 'collection' && method === 'GET') {
      sendJson(response, 200, (await snapshots.list(sessionId)).map(snapshotJson));
    } else if (route.kind === 'collection') {
      const body = await readJsonBody(request);
      const label = parseLabel(body.label);
      sendJson(response, 201, snapshotJson(await snapshots.create(sessionId, { label, createdBy: principal.userId })));
    } else {
      const id = parseSnapshotId(route.params.id);
      if (route.kind === 'restore') {
        const { restoredFrom, preRestoreSnapshotId, changed } = await snapshots.restore(sessionId, id, principal.userId);
        sendJson(response, 200, { restoredFrom, preRestoreSnapshotId, changed });
      } else if (method === 'DELETE') {
        await snapshots.delete(sessionId, id);
        response.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      } else {
        await sendSnapshot(response, snapshots, sessionId, id, url.searchParams.get('format'));
      }
    }
  } catch (error) {
    request.resume();
    if (!(error instanceof TutorboardError)) logger?.error({ err: error, method, path: url.pathname }, 'snapshot request failed');
    sendError(response, error);
  }
  return true;
}

function matchRoute(pathname: string): { kind: 'collection' | 'item' | 'restore'; params: Record<string, string> } | null {
  for (const [kind, pattern] of [['collection', collection], ['item', item], ['restore', restore]] as const) {
    const params = matchPath(pattern, pathname);
    if (params) return { kind, params };
  }
  return null;
}

async function sendSnapshot(response: ServerResponse, snapshots: Snapshots, sessionId: string, id: number, format: string | null): Promise<void> {
  if (format !== null && format !== 'json' && format !== 'yjs') {
    throw new BadRequestError('format must be json or yjs', 'invalid_format');
  }
  const snapshot = await snapshots.get(sessionId, id);
  if (format === 'yjs') {
    response.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': snapshot.state.byteLength,
      'Content-Disposition': `attachment; filename="${sessionId}-snapshot-${id}.yjs"`,
      'Cache-Control': 'no-store',
    });
    response.end(snapshot.state);
  } else if (format === 'json') {
    sendJson(response, 200, snapshotContent(snapshot.state));
  } else {
    sendJson(response, 200, snapshotDetail(snapshot, snapshot.state));
  }
}
