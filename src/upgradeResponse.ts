/**
 * Answers an upgrade request with a plain HTTP response instead of a WebSocket: the only way
 * to tell a client *why* before a socket exists (browsers see the status in devtools; `ws`
 * clients get it in 'unexpected-response').
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export type UpgradeRejectionListener = (status: number, code: string) => void;

/** Per socket, so several servers in one process never see each other's rejections. */
const listeners = new WeakMap<Duplex, UpgradeRejectionListener>();

/**
 * Tells `listener` how this upgrade is refused, whichever path refuses it (the whiteboard's
 * checks in the server, the tutor channel's own): metrics count refusals without either path
 * knowing about metrics.
 */
export function onUpgradeRejected(socket: Duplex, listener: UpgradeRejectionListener): void {
  listeners.set(socket, listener);
}

export function rejectUpgrade(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
  listeners.get(socket)?.(status, code);
  const body = JSON.stringify({ error: { code, message } });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
