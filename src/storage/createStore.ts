/**
 * The store the configuration asks for: PostgreSQL with DATABASE_URL (what a cluster shares),
 * else the SQLite file at DATABASE_PATH. Nothing connects here; `Store.open()` does.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { PostgresStore } from './PostgresStore.ts';
import { SqliteStore } from './SqliteStore.ts';
import type { Store } from './Store.ts';

export function createStore(config: Readonly<Config>, logger?: Logger): Store {
  if (config.databaseUrl !== undefined) {
    return new PostgresStore(config.databaseUrl, { poolSize: config.pgPoolSize, instanceId: config.instanceId, logger });
  }
  return new SqliteStore(config.databasePath, {
    synchronous: config.sqliteSynchronous,
    busyTimeoutMs: config.sqliteBusyTimeoutMs,
    minFreeBytes: config.storageMinFreeBytes,
  });
}
