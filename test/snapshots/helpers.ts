/**
 * Helpers shared by the snapshot tests: admin HTTP calls and a connected, synced editor.
 */
import { spawn } from 'node:child_process';
import type { HocuspocusProvider } from '@hocuspocus/provider';
import * as Y from 'yjs';
import { acknowledged, newProvider, synced } from '../utils/provider.ts';
import type { TestServer } from '../utils/server.ts';
import { binPath } from '../utils/childServer.ts';
import { withTimeout } from '../utils/waitFor.ts';
import { freePort } from '../utils/freePort.ts';

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

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary exports. */
  bytes: Buffer;
}

/** Runs `node bin/tutorboard snapshots …` without blocking the event loop (the server under test lives in it). */
export async function runCli(args: string[], env: Record<string, string>, ms = 30_000): Promise<CliResult> {
  const child = spawn(process.execPath, [binPath, 'snapshots', ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await withTimeout(new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c))), ms, `tutorboard snapshots ${args.join(' ')}`);
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString('utf8'), stderr, bytes };
}

/** A URL where nothing listens (connection refused), for the CLI's offline mode. */
export async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}
