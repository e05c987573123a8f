/**
 * HTTP helpers for the operations tests: JSON requests with an optional bearer token, and
 * reading one sample out of the Prometheus text format.
 */
import type { TestServer } from '../utils/server.ts';

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(
  t: TestServer,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(t.httpUrl(path), { method, headers, body, signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** An admin token for `sid` (default: every session). */
export function adminToken(t: TestServer, sid = '*', sub = 'ops-bot'): string {
  return t.token({ sub, sid, role: 'admin' });
}

export async function scrape(t: TestServer, token?: string): Promise<string> {
  const answer = await call(t, 'GET', '/metrics', { token });
  if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as string;
}

/** The value of the sample `name{labels}` (labels compared as a set), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (have.size === want.length && want.every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}
