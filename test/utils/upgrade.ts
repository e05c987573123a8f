/**
 * Raw upgrade attempts with `ws`, for asserting what the server answers before a socket exists.
 */
import WebSocket from 'ws';
import { registerCleanup } from './cleanup.ts';
import { withTimeout } from './waitFor.ts';

export type UpgradeOutcome = { status: number; body: string; headers: Record<string, string | string[] | undefined> } | { open: WebSocket };

/** Resolves with the HTTP status and body of a refused upgrade, or the open socket. */
export function attemptUpgrade(url: string, headers: Record<string, string> = {}, ms = 5_000): Promise<UpgradeOutcome> {
  const ws = new WebSocket(url, { headers });
  registerCleanup(() => ws.terminate());
  const outcome = new Promise<UpgradeOutcome>((resolve, reject) => {
    ws.once('open', () => resolve({ open: ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    ws.once('error', (error) => reject(error));
  });
  return withTimeout(outcome, ms, `upgrade of ${url}`);
}

export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const outcome = await attemptUpgrade(url, headers);
  if ('open' in outcome) {
    outcome.open.terminate();
    return 101;
  }
  return outcome.status;
}

/** Waits for a socket's close and returns its code and reason. */
export function closed(ws: WebSocket, ms = 5_000): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error('socket already closed'));
  return withTimeout(
    new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    ms,
    'socket close',
  );
}
