/**
 * Helpers shared by the snapshot tests: admin HTTP calls and a connected, synced editor.
 */
import type { HocuspocusProvider } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import type { TestServer } from '../utils/server.ts';

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** Calls the snapshot API as an admin of `sessionId` (or with the given token / none). */
export async function api(
  t: TestServer,
  method: string,
  path: string,
  options: { sessionId?: string; token?: string | null; body?: unknown; raw?: boolean } = {},
): Promise<ApiResponse> {
  const token = options.token === undefined ? t.token({ sub: 'admin-1', sid: options.sessionId ?? '*', role: 'admin' }) : options.token;
  const response = await fetch(t.httpUrl(path), {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  let body: unknown = bytes;
  if (!options.raw && bytes.byteLength > 0) body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  return { status: response.status, body, headers: response.headers };
}

/** A tutor provider on `sessionId`, synced. */
export async function editor(t: TestServer, sessionId: string, document = new Y.Doc(), sub = 'tutor-1'): Promise<HocuspocusProvider> {
  const provider = newProvider({ url: t.whiteboardUrl(sessionId), name: sessionId, token: t.token({ sub, sid: sessionId, role: 'tutor' }), document });
  await synced(provider);
  return provider;
}

/** Applies `change` to the provider's document and waits until the server has acknowledged it. */
export async function edit(provider: HocuspocusProvider, change: (doc: Y.Doc) => void): Promise<void> {
  provider.document.transact(() => change(provider.document));
  await acknowledged(provider);
}

/** The board content the tests use: a map of shape records, a list of strokes, a title. */
export function board(doc: Y.Doc): { shapes: unknown; strokes: unknown; title: string } {
  return { shapes: doc.getMap('shapes').toJSON(), strokes: doc.getArray('strokes').toJSON(), title: doc.getText('title').toString() };
}
