/**
 * Answers an upgrade request with a plain HTTP response instead of a WebSocket: the only way
 * to tell a client *why* before a socket exists (browsers see the status in devtools; `ws`
 * clients get it in 'unexpected-response').
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export function rejectUpgrade(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed) return;
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
