/**
 * Instances of one cluster for the tests: in-process servers sharing one Redis, each with its
 * own SQLite file (the tutor path and the admin API are what these tests exercise).
 */
import type { TestRedis } from '../utils/redis.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';

export function startInstance(redis: TestRedis, instanceId: string, env: Record<string, string> = {}): Promise<TestServer> {
  return startServer({ REDIS_URL: redis.url, INSTANCE_ID: instanceId, ...env });
}

/** A raw tutor socket for `sub` on `server`, with extra query parameters (since, epoch). */
export function join(server: TestServer, sessionId: string, sub: string, query: Record<string, string> = {}, role?: 'tutor' | 'student' | 'observer') {
  return tutorSocket(server.tutorUrl(sessionId, { token: server.token({ sub, sid: sessionId, role }), ...query }));
}
