/**
 * The storage of the `bare-db` baseline: one SQLite table of document states, as the stock
 * @hocuspocus/extension-database setups keep them (baselineServer.mjs creates the same table).
 * The benchmark seeds it directly.
 */
import BetterSqlite3 from 'better-sqlite3';

export const baselineSchema = 'CREATE TABLE IF NOT EXISTS documents (name TEXT PRIMARY KEY, data BLOB NOT NULL)';

/** A SQLite connection set up as tutorboard's store is (WAL, synchronous=NORMAL). */
export function openBaselineDatabase(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(baselineSchema);
  return db;
}

/** Writes `state` as document `name` (for seeding before the server starts). */
export function seedBaselineDocument(file: string, documents: Array<[name: string, state: Uint8Array]>): void {
  const db = openBaselineDatabase(file);
  const upsert = db.prepare('INSERT INTO documents (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data');
  db.transaction(() => {
    for (const [name, state] of documents) upsert.run(name, state);
  })();
  db.close();
}
