/**
 * Applies the numbered SQL files in `migrations/` in order, each in its own transaction, and
 * records them in `schema_migrations`. A database that is newer than the code is refused:
 * running old code on a newer schema can silently drop what the new code relies on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

export const migrationsDirectory = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {
  constructor(databaseVersion: number, codeVersion: number) {
    super(
      `the database schema is at version ${databaseVersion}, newer than this tutorboard knows (${codeVersion}); ` +
        'run a newer tutorboard or restore a backup',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function readMigrations(directory = migrationsDirectory): Migration[] {
  return readdirSync(directory)
    .map((file) => /^(\d{4})_([\w-]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2], sql: readFileSync(`${directory}/${m[0]}`, 'utf8') }))
    .sort((a, b) => a.version - b.version);
}

export function schemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/** Brings the schema up to date; returns the versions it applied (empty when already current). */
export function migrate(db: Database.Database, migrations = readMigrations()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const latest = migrations.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > latest) throw new SchemaTooNewError(current, latest);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
