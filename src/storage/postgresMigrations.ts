/**
 * Applies the numbered SQL files in `migrations/postgres/` in order, each in its own
 * transaction, recorded in `schema_migrations` (the same rules as the SQLite ones in
 * migrations.ts). Every instance of a cluster migrates at startup, so the whole run holds a
 * session-level advisory lock: the first instance migrates, the others wait for it and then
 * find nothing left to do. A database newer than the code is refused.
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { readMigrations, SchemaTooNewError, type Migration } from './migrations.ts';
import { withClient } from './postgresConnection.ts';

export const postgresMigrationsDirectory = fileURLToPath(new URL('../../migrations/postgres/', import.meta.url));

/**
 * The advisory lock key of a migration run: a fixed bigint, in the single-key lock space (the
 * per-document and per-session locks of PostgresStore use the two-key space, which never
 * collides with it).
 */
export const migrationLockKey = 7_046_195_331_208_511n;

export function readPostgresMigrations(directory = postgresMigrationsDirectory): Migration[] {
  return readMigrations(directory);
}

/** The highest applied version, 0 on an empty database. */
export async function postgresSchemaVersion(client: pg.ClientBase): Promise<number> {
  const table = await client.query<{ found: string | null }>("SELECT to_regclass('schema_migrations') AS found");
  if (table.rows[0].found === null) return 0;
  const result = await client.query<{ version: number | null }>('SELECT MAX(version)::integer AS version FROM schema_migrations');
  return result.rows[0].version ?? 0;
}

/**
 * Brings the schema up to date over one connection of `pool`; returns the versions it applied
 * (empty when already current, and for every instance that waited for another one).
 */
export async function migratePostgres(pool: pg.Pool, migrations = readPostgresMigrations()): Promise<number[]> {
  return withClient(pool, async (client) => {
    const key = migrationLockKey.toString();
    await untimed(client, 'SELECT pg_advisory_lock($1)', [key]);
    try {
      return await migrateLocked(client, migrations);
    } finally {
      // A lost connection releases the lock with its session; this only fails then.
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    }
  });
}

/**
 * A statement exempt from the pool's query timeout: waiting for another instance's migration,
 * or a migration rewriting a large table, may legitimately take minutes.
 */
function untimed(client: pg.ClientBase, text: string, values?: unknown[]): Promise<pg.QueryResult> {
  return client.query({ text, values, query_timeout: 2 ** 31 - 1 } as pg.QueryConfig);
}

async function migrateLocked(client: pg.ClientBase, migrations: Migration[]): Promise<number[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
  )`);
  const latest = migrations.at(-1)?.version ?? 0;
  const current = await postgresSchemaVersion(client);
  if (current > latest) throw new SchemaTooNewError(current, latest);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    await client.query('BEGIN');
    try {
      // A simple query (no parameters) may hold several statements.
      await untimed(client, migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    applied.push(migration.version);
  }
  return applied;
}
