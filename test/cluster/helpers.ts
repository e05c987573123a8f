/**
 * Instances of one cluster in this process: each a real server on port 0, all on one PostgreSQL
 * database of the test's own and one redis-server of the test's own.
 */
import * as Y from 'yjs';
import { createTestDatabase, type TestDatabase } from '../utils/postgres.ts';
import { newProvider, synced } from '../utils/provider.ts';
import { startRedis, type TestRedis } from '../utils/redis.ts';
import { startServer, type TestServer } from '../utils/server.ts';
import { tutorSocket } from '../utils/tutorSocket.ts';
import { eventually } from '../utils/waitFor.ts';

export interface TestCluster {
  database: TestDatabase;
  redis: TestRedis;
  instances: TestServer[];
  /** The environment every instance shares (DATABASE_URL, REDIS_URL, JWT settings come from startServer). */
  env: Record<string, string>;
  /** Starts one more instance of the cluster. */
  add(env?: Record<string, string>): Promise<TestServer>;
}

export async function startCluster(count: number, env: Record<string, string> = {}): Promise<TestCluster> {
  const [database, redis] = await Promise.all([createTestDatabase(), startRedis()]);
  const shared = { DATABASE_URL: database.url, REDIS_URL: redis.url, LOG_LEVEL: 'info', ...env };
  const instances: TestServer[] = [];
  const cluster: TestCluster = {
    database,
    redis,
    instances,
    env: shared,
    add: async (extra = {}) => {
      const instance = await startServer({ ...shared, INSTANCE_ID: `i${instances.length}`, ...extra });
      instances.push(instance);
      await eventually(() => instance.server.redisHealth?.up === true, 10_000, 'the instance reaches Redis');
      return instance;
    },
  };
  // One at a time: the first migrates, the others find the schema current.
  for (let i = 0; i < count; i += 1) await cluster.add();
  return cluster;
}

export async function editor(instance: TestServer, name: string, user = 'u') {
  const provider = newProvider({ url: instance.whiteboardUrl(name), name, token: instance.token({ sub: user, sid: name, role: 'tutor' }) });
  await synced(provider);
  return provider;
}

/** Every update row the cluster logged for a board, decoded into one document. */
export async function storedDocument(database: TestDatabase, name: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  const [state] = await database.query<{ state: Buffer }>('SELECT state FROM documents WHERE name = $1', [name]);
  if (state) Y.applyUpdate(doc, state.state);
  for (const row of await database.query<{ data: Buffer }>('SELECT data FROM document_updates WHERE document_name = $1 ORDER BY id', [name])) {
    Y.applyUpdate(doc, row.data);
  }
  return doc;
}

/** One more instance of `cluster` named `instanceId` (the tutor and admin tests name theirs). */
export function startInstance(cluster: TestCluster, instanceId: string, env: Record<string, string> = {}): Promise<TestServer> {
  return cluster.add({ INSTANCE_ID: instanceId, ...env });
}

/** A raw tutor socket for `sub` on `server`, with extra query parameters (since, epoch). */
export function join(server: TestServer, sessionId: string, sub: string, query: Record<string, string> = {}, role?: 'tutor' | 'student' | 'observer') {
  return tutorSocket(server.tutorUrl(sessionId, { token: server.token({ sub, sid: sessionId, role }), ...query }));
}
