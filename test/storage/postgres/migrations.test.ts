import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { migrationsDirectory, readMigrations, SchemaTooNewError } from '../../../src/storage/migrations.ts';
import { migratePostgres, postgresMigrationsDirectory, readPostgresMigrations } from '../../../src/storage/postgresMigrations.ts';
import { PostgresStore } from '../../../src/storage/PostgresStore.ts';
import { createTestDatabase } from '../../utils/postgres.ts';

const versions = readPostgresMigrations().map((m) => m.version);

describe('PostgreSQL migrations', () => {
  it('live in their own folder, which the SQLite reader skips', () => {
    expect(postgresMigrationsDirectory.startsWith(migrationsDirectory)).toBe(true);
    expect(readdirSync(migrationsDirectory)).toContain('postgres');
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions.length).toBeGreaterThanOrEqual(4);
    expect(readMigrations().map((m) => m.sql)).not.toContain(readPostgresMigrations()[0].sql);
  });

  it('apply every file on an empty database, and nothing on a migrated one (data kept)', async () => {
    const db = await createTestDatabase();
    const first = await db.openStore();
    expect(first.appliedMigrations).toEqual(versions);
    const tables = (await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).map((r) => r.tablename);
    expect(tables).toEqual(expect.arrayContaining(['documents', 'document_updates', 'snapshots', 'storage_probe', 'server_leases', 'schema_migrations']));
    await first.append('doc', new Uint8Array([1, 2, 3]));
    await first.close();

    const second = await db.openStore();
    expect(second.appliedMigrations).toEqual([]);
    expect(await second.load('doc')).toEqual({ state: null, updates: [new Uint8Array([1, 2, 3])] });
    const recorded = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual(versions);
  });

  it('run once when several stores start together on one database', async () => {
    const db = await createTestDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => db.openStore({ poolSize: 2 })));
    const applied = stores.map((s) => s.appliedMigrations);
    expect(applied.filter((a) => a.length > 0)).toEqual([versions]);
    expect(applied.filter((a) => a.length === 0)).toHaveLength(3);
    expect(await db.query('SELECT version FROM schema_migrations')).toHaveLength(versions.length);
  });

  it('roll a failing migration back completely', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    const broken = [...readPostgresMigrations(), { version: 9998, name: 'half', sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1);' }];
    await expect(migratePostgres(store.pool, broken)).rejects.toThrow(/nowhere/);
    expect(await db.query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    expect(await db.query('SELECT MAX(version) AS v FROM schema_migrations')).toEqual([{ v: versions.at(-1) }]);
    // The lock was given back: the next run does not wait forever.
    expect(await migratePostgres(store.pool)).toEqual([]);
  });

  it('refuse a database whose schema is newer than the code, and leave no connection open', async () => {
    const db = await createTestDatabase();
    const store = await db.openStore();
    await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, $1, $2)', ['from-the-future', Date.now()]);
    await expect(PostgresStore.open(db.url)).rejects.toThrow(SchemaTooNewError);
    await expect(PostgresStore.open(db.url)).rejects.toThrow(/schema is at version 9999, newer than this tutorboard knows/);
    await store.close();
    const open = await db.query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'tutorboard %'", [db.name]);
    expect(open).toEqual([]);
  });
});
