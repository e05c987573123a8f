/**
 * Starts a real tutorboard on port 0 with its own SQLite file in a temp folder, and stops it
 * (and removes the folder) after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Authenticator, type Role } from '../../src/auth.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { TutorboardServer, type ServerOptions } from '../../src/server.ts';
import { registerCleanup } from './cleanup.ts';

export const testSecret = 'test-secret-that-is-long-enough-for-hs256!';

export interface TestServer {
  server: TutorboardServer;
  port: number;
  dir: string;
  databasePath: string;
  /** Log lines the server wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The raw log output, to check that nothing secret was written. */
  rawLogs: () => string;
  /** `http://127.0.0.1:PORT`, no trailing slash (for TUTORBOARD_URL and the demo page). */
  baseUrl: string;
  httpUrl(path?: string): string;
  whiteboardUrl(sessionId: string): string;
  tutorUrl(sessionId: string, query?: Record<string, string>): string;
  token(claims: { sub?: string; sid: string; role?: Role }, ttlSeconds?: number): string;
  /** Stops the server (as SIGTERM would). Safe to call more than once. */
  stop(): Promise<void>;
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tutorboard-test-'));
  registerCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startServer(
  env: Record<string, string> = {},
  options: ServerOptions & { dir?: string } = {},
): Promise<TestServer> {
  const dir = options.dir ?? tempDir();
  const databasePath = join(dir, 'tutorboard.db');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: databasePath,
    JWT_SECRET: testSecret,
    LOG_LEVEL: 'debug',
    ...env,
  });
  let raw = '';
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      const text = chunk.toString();
      raw += text;
      for (const line of text.split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      callback();
    },
  });
  const logger = options.logger ?? createLogger({ level: config.logLevel, destination });
  const server = new TutorboardServer(config, { ...options, logger });
  const port = await server.listen();
  const signer = new Authenticator({ secret: testSecret, issuer: config.jwt.issuer, audience: config.jwt.audience });
  const stop = () => server.shutdown();
  registerCleanup(stop);
  return {
    server,
    port,
    dir,
    databasePath,
    logs,
    rawLogs: () => raw,
    baseUrl: `http://127.0.0.1:${port}`,
    httpUrl: (path = '/') => `http://127.0.0.1:${port}${path}`,
    whiteboardUrl: (sessionId) => `ws://127.0.0.1:${port}/ws/v2/session/${sessionId}/whiteboard`,
    tutorUrl: (sessionId, query) =>
      `ws://127.0.0.1:${port}/ws/v2/session/${sessionId}${query ? `?${new URLSearchParams(query)}` : ''}`,
    token: ({ sub = 'user-1', sid, role }, ttlSeconds = 3600) => signer.sign({ sub, sid, role }, ttlSeconds),
    stop,
  };
}
