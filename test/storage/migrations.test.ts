import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, readMigrations, schemaVersion, SchemaTooNewError } from '../../src/storage/migrations.ts';
import { SqliteStore } from '../../src/storage/SqliteStore.ts';
import { spawnSync } from 'node:child_process';
import { binPath } from '../utils/childServer.ts';
import { tempDir } from '../utils/server.ts';

describe('migrations', () => {
  it('applies every numbered file in order on a fresh database and records it', () => {
    const db = new Database(join(tempDir(), 'fresh.db'));
    const files = readMigrations();
    expect(files.map((m) => m.version)).toEqual([...files.map((m) => m.version)].sort((a, b) => a - b));
    expect(migrate(db)).toEqual(files.map((m) => m.version));
    expect(schemaVersion(db)).toBe(files.at(-1)!.version);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r: any) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['documents', 'document_updates', 'schema_migrations']));
    db.close();
  });

  it('re-running applies nothing and keeps data', () => {
    const path = join(tempDir(), 'rerun.db');
    const store = new SqliteStore(path);
    store.appendSync('doc', new Uint8Array([1, 2, 3]));
    store.close();
    const db = new Database(path);
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM document_updates').get()).toEqual({ n: 1 });
    db.close();
  });

  it('a failing migration rolls back completely', () => {
    const db = new Database(join(tempDir(), 'broken.db'));
    const good = readMigrations();
    const broken = [...good, { version: 9998, name: 'half', sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1);' }];
    expect(() => migrate(db, broken)).toThrow(/nowhere/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    expect(schemaVersion(db)).toBe(good.at(-1)!.version);
    db.close();
  });

  it('refuses a database whose schema is newer than the code', () => {
    const path = join(tempDir(), 'newer.db');
    const db = new Database(path);
    migrate(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, ?, ?)').run('from-the-future', Date.now());
    db.close();
    expect(() => new SqliteStore(path)).toThrow(SchemaTooNewError);
    const result = spawnSync(process.execPath, [binPath, 'migrate'], { env: { ...process.env, DATABASE_PATH: path }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/schema is at version 9999, newer than this tutorboard knows/);
  });

  it('`tutorboard migrate` creates the folder, migrates and exits 0; again says up to date', () => {
    const path = join(tempDir(), 'nested', 'dir', 'cli.db');
    const env = { ...process.env, DATABASE_PATH: path };
    const first = spawnSync(process.execPath, [binPath, 'migrate'], { env, encoding: 'utf8' });
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/applied migrations 1/);
    const second = spawnSync(process.execPath, [binPath, 'migrate'], { env, encoding: 'utf8' });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  });
});
